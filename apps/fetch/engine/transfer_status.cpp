#include "engine/transfer_status.hpp"

#include <algorithm>

namespace handoff::fetch {

std::string_view to_string(transfer_state state) noexcept {
  switch (state) {
    case transfer_state::waiting:
      return "waiting";
    case transfer_state::downloading:
      return "downloading";
    case transfer_state::retrying:
      return "retrying";
    case transfer_state::done:
      return "done";
    case transfer_state::failed:
      return "failed";
    case transfer_state::cancelled:
      return "cancelled";
  }
  return "unknown";
}

bool transfer_status::finished() const noexcept {
  return state == transfer_state::done || state == transfer_state::failed ||
         state == transfer_state::cancelled;
}

bool fetch_snapshot::idle() const noexcept {
  // From the transfers, not the counts, so that a snapshot built by hand answers right too.
  return std::all_of(transfers.begin(), transfers.end(),
                     [](const transfer_status& t) { return t.finished(); });
}

void count_totals(fetch_snapshot& snapshot) noexcept {
  snapshot.bytes = 0;
  snapshot.rate = 0;
  snapshot.waiting = snapshot.active = snapshot.done = snapshot.failed = snapshot.cancelled = 0;
  for (const transfer_status& t : snapshot.transfers) {
    snapshot.bytes += t.bytes;
    snapshot.rate += t.rate;
    switch (t.state) {
      case transfer_state::waiting:
        ++snapshot.waiting;
        break;
      case transfer_state::downloading:
      case transfer_state::retrying:
        ++snapshot.active;
        break;
      case transfer_state::done:
        ++snapshot.done;
        break;
      case transfer_state::failed:
        ++snapshot.failed;
        break;
      case transfer_state::cancelled:
        ++snapshot.cancelled;
        break;
    }
  }
}

}  // namespace handoff::fetch
