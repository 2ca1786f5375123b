#include "handoff/loop.hpp"

#include "handoff/thread_registry.hpp"

#include <algorithm>
#include <cstdio>
#include <typeinfo>

namespace handoff {

namespace {

void report_to_stderr(std::exception_ptr error) noexcept {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "handoff: a loop task threw %s: %s\n", typeid(e).name(), e.what());
  } catch (...) {
    std::fprintf(stderr, "handoff: a loop task threw a non-standard exception\n");
  }
}

}  // namespace

loop::loop(loop_driver& driver, loop_options options)
    : driver_(driver),
      clock_(options.time_source != nullptr ? *options.time_source : clock::steady()),
      budget_(options.pump_budget),
      loop_thread_(std::this_thread::get_id()) {
  if (budget_ <= std::chrono::nanoseconds::zero()) {
    throw errors::invalid_argument("pump_budget must be positive");
  }
}

loop::~loop() {
  close();
  discard_pending();
}

timer loop::schedule(duration delay, task&& fn) {
  auto state = std::make_shared<detail::timer_state>();
  state->deadline = clock_.now() + std::max(delay, duration::zero());
  state->callback = std::move(fn);
  bool wake = false;
  {
    // The push and the wake decision are one step against the pump's choice of
    // deadline, made under this lock too: either that choice sees this timer,
    // or it was recorded before, and this read sees it (repro:
    // tests/repro/timer_deadline_race_test.cpp).
    std::lock_guard lock(timers_mutex_);
    if (closed()) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      state->status.store(detail::timer_state::cancelled, std::memory_order_relaxed);
      return timer(std::move(state));
    }
    state->sequence = timer_sequence_++;
    timers_.push_back(state);
    std::push_heap(timers_.begin(), timers_.end(), timer_later{});
    if (state->deadline < pump_promised_by_) {
      wake = true;
      // The wake brings a pump whose end chooses a deadline after this point:
      // a later timer that is not earlier than this one needs no wake of its own.
      pump_promised_by_ = state->deadline;
    }
  }
  if (wake) driver_.wake();
  return timer(std::move(state));
}

void loop::close() noexcept {
  {
    std::lock_guard lock(queue_mutex_);  // no post may slip in between the check and the flag
    if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  }
  closed_source_.request_stop();  // wakes every invoke() waiting on closed_token()
  driver_.wake();                 // so the loop thread discards what is pending
}

void loop::set_exception_handler(exception_handler handler) { on_exception_ = std::move(handler); }

void loop::run_guarded(task& fn) noexcept {
  try {
    fn.run_once();
  } catch (...) {
    auto error = std::current_exception();
    if (on_exception_) {
      try {
        on_exception_(error);
        return;
      } catch (...) {
        error = std::current_exception();  // the handler itself failed: report that instead
      }
    }
    report_to_stderr(error);
  }
}

loop::time_point loop::next_deadline() const {
  std::lock_guard lock(timers_mutex_);  // a cancelled front only costs one spare pump
  return timers_.empty() ? time_point::max() : timers_.front()->deadline;
}

void loop::compact_timers() {
  // Cancelled timers stay in the heap until they surface; rebuild it when they
  // could be half of it, so cancel-and-reschedule patterns keep memory bounded.
  if (timers_.size() < 64 || timers_.size() < 2 * timers_after_compaction_) return;
  std::erase_if(timers_, [](const auto& t) {
    return t->status.load(std::memory_order_acquire) != detail::timer_state::pending;
  });
  std::make_heap(timers_.begin(), timers_.end(), timer_later{});
  timers_after_compaction_ = timers_.size();
}

std::size_t loop::run_due_timers(time_point now) {
  std::uint64_t sequence_limit = 0;
  {
    std::lock_guard lock(timers_mutex_);
    sequence_limit = timer_sequence_;  // timers scheduled by these callbacks wait for the next pump
  }
  std::size_t ran = 0;
  for (;;) {
    std::shared_ptr<detail::timer_state> due;
    {
      std::lock_guard lock(timers_mutex_);  // pop one due timer; callbacks run unlocked
      compact_timers();
      if (timers_.empty()) break;
      const auto& front = timers_.front();
      if (front->deadline > now || front->sequence >= sequence_limit) break;
      std::pop_heap(timers_.begin(), timers_.end(), timer_later{});
      due = std::move(timers_.back());
      timers_.pop_back();
    }
    int expected = detail::timer_state::pending;
    // acq_rel: pairs with timer::cancel(); whoever wins decides whether it runs.
    if (due->status.compare_exchange_strong(expected, detail::timer_state::fired,
                                            std::memory_order_acq_rel)) {
      run_guarded(due->callback);
      ++ran;
    }
    due->callback.reset();
    if (closed()) break;
  }
  return ran;
}

pump_result loop::pump() {
  expect_loop_thread("loop::pump");
  pump_result result;
  if (closed()) {
    discard_pending();
    return result;
  }
  if (observer_ != nullptr) observer_->on_pump_begin();
  const thread_activity activity("pumping the loop");

  const time_point start = clock_.now();
  result.timers_run = run_due_timers(start);

  const bool took_new_batch = batch_position_ == batch_.size();
  if (took_new_batch) {
    retire_batch();                      // its blocks were released as they ran
    std::lock_guard lock(queue_mutex_);  // take the whole batch queued so far in one swap
    batch_.swap_queued(incoming_);
  }

  // Yield at the budget, or earlier when a timer falls due, so timers stay on time under floods.
  const time_point stop_at = std::min(start + budget_, next_deadline());
  constexpr std::size_t clock_check_interval =
      32;  // reading the clock per task would cost more than most tasks
  constexpr std::size_t block_mask = detail::task_blocks::block_size - 1;
  constexpr std::size_t spare_budget_tasks =
      detail::task_blocks::spare_budget_blocks * detail::task_blocks::block_size;
  ++batch_runners_;
  while (batch_position_ < batch_.size() && !closed()) {
    run_guarded(batch_.at(batch_position_++));  // runs and destroys it: captures are released now
    ++result.tasks_run;
    // The last task of a block ran: the block goes back to the producers now,
    // not after the whole batch, so a flood reuses it while this batch runs.
    // (Position 0: a nested pump discarded the batch under this task.)
    if (((batch_position_ & block_mask) == 0 || batch_position_ == batch_.size()) && batch_position_ != 0) {
      release_block((batch_position_ - 1) / detail::task_blocks::block_size);
    }
    if (result.tasks_run % clock_check_interval == 0 && clock_.now() >= stop_at) break;
  }
  --batch_runners_;

  if (closed()) {
    discard_pending();
  } else {
    // Ask for another pump when work is ready that no producer's wake covers:
    // leftovers of this batch, or posts that arrived while this pump only ran
    // leftovers (their wake was spent on this pump, which did not take them;
    // repro: tests/repro/leftover_batch_wake_test.cpp). Posts made after a swap
    // found the queue empty and woke the driver themselves.
    const bool leftovers = batch_position_ < batch_.size();
    bool waiting = false;
    std::vector<detail::task_blocks::block> excess;  // freed at the end of this scope, after the lock
    {
      std::lock_guard lock(queue_mutex_);
      waiting = !incoming_.empty();
      hand_over_released();
      // The loop has caught up with a light load (its whole batch ran, it fit
      // in the spares' budget, nothing waits): keep no more spares than the
      // budget. While the load is heavy, every released block is kept, so
      // floods reuse their blocks instead of faulting in fresh memory.
      if (!leftovers && !waiting && batch_.size() <= spare_budget_tasks &&
          incoming_.spare_count() > detail::task_blocks::spare_budget_blocks) {
        excess = incoming_.take_spares_beyond(detail::task_blocks::spare_budget_blocks);
      }
    }
    result.more_ready = leftovers || waiting;
    if (leftovers || (waiting && !took_new_batch)) driver_.wake();
    time_point next = time_point::max();
    {
      // Choosing the deadline and recording it are one step against schedule(),
      // which decides under this lock whether its timer needs a wake.
      std::lock_guard lock(timers_mutex_);
      if (!timers_.empty()) next = timers_.front()->deadline;
      pump_promised_by_ = next;
    }
    if (observer_ != nullptr) observer_->on_deadline_chosen(next);
    driver_.arm_deadline(next);
  }
  // No task of a batch runs any more: what nested pumps retired can go.
  if (batch_runners_ == 0) retired_.clear();
  if (observer_ != nullptr) observer_->on_pump_end();
  return result;
}

void loop::release_block(std::size_t index) noexcept {
  // A nested pump (a task pumping its own loop) leaves the blocks alone: the
  // outer pump's task may be running from this very block. retire_batch frees them.
  if (batch_runners_ != 1) return;
  auto emptied = batch_.release_block(index);
  if (emptied.capacity() == 0) return;
  try {
    released_.push_back(std::move(emptied));
  } catch (...) {
    return;  // not kept: `emptied` is freed here
  }
  // The spares belong to the producers' queue, whose lock the pump takes at
  // its end anyway; in a long batch, hand them over every few blocks so that
  // producers reuse them while it runs. A flooding producer holds that lock
  // half the time: take it only if free, else try again at the next block
  // (a lock round per released block made floods slower: docs/decisions.md).
  constexpr std::size_t hand_over_every = 4;
  if (released_.size() < hand_over_every) return;
  const std::unique_lock lock(queue_mutex_, std::try_to_lock);
  if (lock.owns_lock()) hand_over_released();
}

void loop::hand_over_released() noexcept {
  for (auto& emptied : released_) {
    // Not kept only if the list of spares could not grow: freed by the clear below.
    incoming_.keep_spare(emptied);
  }
  released_.clear();
}

void loop::retire_batch() {
  if (batch_runners_ == 0) {
    batch_.clear();
  } else {
    batch_.move_blocks_to(retired_);  // a task of this batch still runs from one of them
  }
  batch_position_ = 0;
}

void loop::discard_pending() noexcept {
  detail::task_blocks queued;
  {
    std::lock_guard lock(queue_mutex_);
    queued.swap(incoming_);
  }
  std::vector<std::shared_ptr<detail::timer_state>> timers;
  {
    std::lock_guard lock(timers_mutex_);
    timers.swap(timers_);
  }
  for (auto& t : timers) {
    int expected = detail::timer_state::pending;
    t->status.compare_exchange_strong(expected, detail::timer_state::cancelled, std::memory_order_acq_rel);
    t->callback.reset();
  }
  released_.clear();
  if (batch_runners_ == 0) {
    batch_.clear();
  } else {
    // A task of this batch still runs from one of its blocks: retire_batch frees them.
    batch_.destroy_tasks();
  }
  batch_position_ = 0;
  // `queued` and `timers` are destroyed here, on the loop thread, without running.
}

}  // namespace handoff
