#include "engine/download_manager.hpp"

#include "engine/file_name.hpp"
#include "engine/name_book.hpp"
#include "engine/retry_policy.hpp"
#include "engine/transfer.hpp"

#include <handoff/thread_registry.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

namespace handoff::fetch {

namespace {

using steady = std::chrono::steady_clock;

void init_libcurl() {
  // Once per process, before the first handle; the function-local static makes it so from any thread.
  static const CURLcode status = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (status != CURLE_OK)
    throw std::runtime_error(std::string("cannot start libcurl: ") + curl_easy_strerror(status));
}

// One line, whatever the input held: a bad line is shown in a table later.
std::string one_line(std::string_view text) {
  constexpr std::size_t limit = 200;
  std::string line;
  for (const char c : text.substr(0, limit)) line += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
  if (text.size() > limit) line += "...";
  return line;
}

}  // namespace

struct download_manager::shared {
  shared(fetch_options o, snapshot_sink s) : options(std::move(o)), sink(std::move(s)) {}
  ~shared() {
    if (multi != nullptr) curl_multi_cleanup(multi);
  }

  const fetch_options options;
  const snapshot_sink sink;
  CURLM* multi = nullptr;  // made before the engine thread starts, cleaned up after it ended

  // Held for a few copies at a time: never across a libcurl call or the sink.
  mutable std::mutex mutex;
  std::vector<transfer_status>
      statuses;                        // by id - 1; the engine writes its transfers' fields on each publish
  std::deque<std::uint64_t> queue;     // waiting ids, in the order added
  std::vector<std::uint64_t> cancels;  // started transfers a caller cancelled
  bool cancel_everything = false;      // cancel_all(): every started transfer
  bool dirty = false;                  // a caller changed a status: publish
  bool stopping = false;

  void wake() const noexcept { curl_multi_wakeup(multi); }

  fetch_snapshot snapshot_locked() const {
    fetch_snapshot result;
    result.transfers = statuses;
    count_totals(result);
    return result;
  }
};

class download_manager::engine {
 public:
  explicit engine(shared& s)
      : s_(s), names_(s.options.dir, s.options.force), random_(std::random_device{}()) {}

  void run();

 private:
  bool take_inbox(std::vector<std::uint64_t>& cancels, bool& everything, bool& dirty);
  bool start_waiting();
  bool start_due_retries(steady::time_point now);
  void start_attempt(transfer& t);
  void conclude(transfer& t, CURLcode result, steady::time_point now);
  void finish(transfer& t, transfer_state how);
  bool cancel(std::uint64_t id);
  void stop_everything();
  void publish(steady::time_point now);
  [[nodiscard]] bool any_downloading() const;
  [[nodiscard]] int poll_timeout(steady::time_point now, steady::time_point next_tick) const;

  shared& s_;
  name_book names_;
  std::map<std::uint64_t, std::unique_ptr<transfer>>
      running_;             // started, not finished: downloading or retrying
  std::mt19937_64 random_;  // backoff jitter
};

void download_manager::engine::run() {
  const thread_registration registration("fetch-engine");
  const auto interval = s_.options.snapshot_interval;
  auto next_tick = steady::now();
  std::uint64_t published_bytes = 0;
  std::vector<std::uint64_t> cancels;
  for (;;) {
    bool everything = false;
    bool changed = false;
    if (take_inbox(cancels, everything, changed)) {
      stop_everything();
      publish(steady::now());
      return;
    }
    if (everything) {
      while (!running_.empty()) cancel(running_.begin()->first);
      changed = true;
    }
    for (const std::uint64_t id : cancels) changed = cancel(id) || changed;
    changed = start_due_retries(steady::now()) || changed;
    changed = start_waiting() || changed;

    int still_running = 0;
    {
      const thread_activity activity("transferring");
      curl_multi_perform(s_.multi, &still_running);
    }
    bool ended_any = false;
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(s_.multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      // Read before the removal: the message does not outlive it.
      CURL* handle = message->easy_handle;
      const CURLcode result = message->data.result;
      curl_multi_remove_handle(s_.multi, handle);
      char* self = nullptr;
      curl_easy_getinfo(handle, CURLINFO_PRIVATE, &self);
      conclude(*reinterpret_cast<transfer*>(self), result, steady::now());
      ended_any = true;
    }
    changed = changed || ended_any;

    const auto now = steady::now();
    std::uint64_t bytes = 0;
    for (const auto& [id, t] : running_) bytes += t->bytes();
    const bool moved = bytes != published_bytes;
    if (changed || (interval.count() > 0 ? any_downloading() && now >= next_tick : moved)) {
      publish(now);
      published_bytes = bytes;
      next_tick = now + interval;
    }
    // A transfer ended: a job slot is free, or a restart was queued; go round at once.
    if (ended_any) continue;
    const thread_activity activity("waiting for sockets");
    curl_multi_poll(s_.multi, nullptr, 0, poll_timeout(now, next_tick), nullptr);
  }
}

bool download_manager::engine::take_inbox(std::vector<std::uint64_t>& cancels, bool& everything,
                                          bool& dirty) {
  cancels.clear();
  const std::lock_guard lock(s_.mutex);  // a swap and three flags
  cancels.swap(s_.cancels);
  everything = std::exchange(s_.cancel_everything, false);
  dirty = std::exchange(s_.dirty, false);
  return s_.stopping;
}

bool download_manager::engine::start_waiting() {
  bool started = false;
  while (running_.size() < s_.options.jobs) {
    std::uint64_t id = 0;
    std::string url;
    {
      const std::lock_guard lock(s_.mutex);  // claims the next waiting transfer against a racing cancel()
      while (!s_.queue.empty() && s_.statuses[s_.queue.front() - 1].state != transfer_state::waiting) {
        s_.queue.pop_front();  // cancelled while it waited
      }
      if (s_.queue.empty()) break;
      id = s_.queue.front();
      s_.queue.pop_front();
      s_.statuses[id - 1].state = transfer_state::downloading;
      url = s_.statuses[id - 1].url;
    }
    auto t = std::make_unique<transfer>(id, std::move(url), s_.options, names_);
    transfer& ref = *t;
    running_.emplace(id, std::move(t));
    started = true;
    if (ref.handle() == nullptr) {
      ref.state = transfer_state::failed;
      finish(ref, transfer_state::failed);
      continue;
    }
    start_attempt(ref);
  }
  return started;
}

bool download_manager::engine::start_due_retries(steady::time_point now) {
  bool started = false;
  for (auto& [id, t] : running_) {
    if (t->state == transfer_state::retrying && t->retry_at <= now) {
      start_attempt(*t);
      started = true;
    }
  }
  return started;
}

void download_manager::engine::start_attempt(transfer& t) {
  t.begin_attempt();
  t.state = transfer_state::downloading;
  curl_multi_add_handle(s_.multi, t.handle());
}

void download_manager::engine::conclude(transfer& t, CURLcode result, steady::time_point now) {
  switch (t.end_attempt(result)) {
    case transfer::verdict::done:
      finish(t, transfer_state::done);
      return;
    case transfer::verdict::failed:
      finish(t, transfer_state::failed);
      return;
    case transfer::verdict::restart:
      start_attempt(t);
      return;
    case transfer::verdict::retry:
      if (t.retries_used >= s_.options.retries) {
        t.stop();
        finish(t, transfer_state::failed);
        return;
      }
      t.state = transfer_state::retrying;
      t.rate = 0;
      t.retry_at = now + retry_delay(backoff_delay(s_.options.retry_delay, t.retries_used,
                                                   std::uniform_real_distribution<double>(0.0, 1.0)(random_)),
                                     t.server_retry_after());
      ++t.retries_used;
      return;
  }
}

void download_manager::engine::finish(transfer& t, transfer_state how) {
  t.state = how;
  t.rate = 0;
  {
    const std::lock_guard lock(s_.mutex);  // the final status, written once
    t.fill(s_.statuses[t.id() - 1]);
    s_.statuses[t.id() - 1].id = t.id();
  }
  running_.erase(t.id());  // destroys t
}

bool download_manager::engine::cancel(std::uint64_t id) {
  const auto it = running_.find(id);
  if (it == running_.end()) return false;  // finished meanwhile
  transfer& t = *it->second;
  if (t.state == transfer_state::downloading) curl_multi_remove_handle(s_.multi, t.handle());
  t.stop();
  finish(t, transfer_state::cancelled);
  return true;
}

void download_manager::engine::stop_everything() {
  while (!running_.empty()) cancel(running_.begin()->first);
  const std::lock_guard lock(s_.mutex);  // the waiting ones never start
  for (transfer_status& status : s_.statuses) {
    if (status.state == transfer_state::waiting) status.state = transfer_state::cancelled;
  }
  s_.queue.clear();
}

void download_manager::engine::publish(steady::time_point now) {
  for (auto& [id, t] : running_) {
    if (t->state == transfer_state::downloading) t->rate = t->meter.sample(now, t->bytes());
  }
  fetch_snapshot snapshot;
  {
    const std::lock_guard lock(s_.mutex);  // the running transfers' fields in, one copy out
    for (const auto& [id, t] : running_) t->fill(s_.statuses[id - 1]);
    snapshot = s_.snapshot_locked();
  }
  if (s_.sink) s_.sink(std::move(snapshot));
}

bool download_manager::engine::any_downloading() const {
  return std::any_of(running_.begin(), running_.end(),
                     [](const auto& entry) { return entry.second->state == transfer_state::downloading; });
}

int download_manager::engine::poll_timeout(steady::time_point now, steady::time_point next_tick) const {
  // libcurl shortens the wait to its own timers itself; ours are the retries and the progress tick.
  auto until = now + std::chrono::hours(24);
  if (s_.options.snapshot_interval.count() > 0 && any_downloading()) until = std::min(until, next_tick);
  for (const auto& [id, t] : running_) {
    if (t->state == transfer_state::retrying) until = std::min(until, t->retry_at);
  }
  if (until <= now) return 0;
  // Rounded up: waking a little early would only go round again for nothing.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
  return static_cast<int>(std::min<std::int64_t>(ms, INT_MAX));
}

download_manager::download_manager(fetch_options options, snapshot_sink sink) {
  validate(options);
  init_libcurl();
  shared_ = std::make_unique<shared>(std::move(options), std::move(sink));
  shared_->multi = curl_multi_init();
  if (shared_->multi == nullptr) throw std::runtime_error("cannot create a libcurl multi handle");
  thread_ = std::jthread([s = shared_.get()] { engine(*s).run(); });
}

download_manager::~download_manager() {
  {
    const std::lock_guard lock(shared_->mutex);  // one flag
    shared_->stopping = true;
  }
  shared_->wake();
  thread_.join();
}

std::uint64_t download_manager::add(std::string url) {
  const bool usable = is_http_url(url);
  std::uint64_t id = 0;
  {
    const std::lock_guard lock(shared_->mutex);  // the new status and its place in the queue
    id = shared_->statuses.size() + 1;
    transfer_status status;
    status.id = id;
    if (!usable) {
      status.state = transfer_state::failed;
      status.reason = "not a URL: " + one_line(url);
      shared_->dirty = true;  // the engine publishes the ending
    } else {
      shared_->queue.push_back(id);
    }
    status.url = std::move(url);
    shared_->statuses.push_back(std::move(status));
  }
  shared_->wake();
  return id;
}

void download_manager::cancel(std::uint64_t id) {
  {
    const std::lock_guard lock(shared_->mutex);  // decides against the engine claiming it
    if (id == 0 || id > shared_->statuses.size()) return;
    transfer_status& status = shared_->statuses[id - 1];
    if (status.state == transfer_state::waiting) {
      status.state = transfer_state::cancelled;
      shared_->dirty = true;
    } else if (!status.finished()) {
      shared_->cancels.push_back(id);
    } else {
      return;
    }
  }
  shared_->wake();
}

void download_manager::cancel_all() {
  {
    const std::lock_guard lock(shared_->mutex);  // waiting ones here, started ones by the engine
    for (transfer_status& status : shared_->statuses) {
      if (status.state == transfer_state::waiting) status.state = transfer_state::cancelled;
    }
    shared_->cancel_everything = true;
    shared_->dirty = true;
  }
  shared_->wake();
}

fetch_snapshot download_manager::snapshot() const {
  const std::lock_guard lock(shared_->mutex);  // one copy
  return shared_->snapshot_locked();
}

const fetch_options& download_manager::options() const noexcept { return shared_->options; }

}  // namespace handoff::fetch
