// The worker program the procs tests spawn: obeys the commands of test_protocol.hpp.
#include "handoff/procs/worker_session.hpp"
#include "test_protocol.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace handoff::procs;
using namespace handoff::procs::testing;

std::string open_descriptors() {
  std::string lines;
  DIR* directory = ::opendir("/proc/self/fd");
  if (directory == nullptr) return "error: cannot open /proc/self/fd\n";
  while (const dirent* entry = ::readdir(directory)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == ".." || std::to_string(::dirfd(directory)) == name) continue;
    std::array<char, 512> target{};
    const std::string path = "/proc/self/fd/" + std::string(name);
    const ssize_t n = ::readlink(path.c_str(), target.data(), target.size() - 1);
    lines += std::string(name) + " " +
             (n > 0 ? std::string(target.data(), static_cast<std::size_t>(n)) : "?") + "\n";
  }
  ::closedir(directory);
  return lines;
}

std::pair<long, long> two_numbers(std::string_view text) {
  long first = 0;
  long second = 0;
  const char* end = text.data() + text.size();
  auto [middle, error] = std::from_chars(text.data(), end, first);
  if (error == std::errc{} && middle < end) std::from_chars(middle + 1, end, second);
  return {first, second};
}

void write_raw(const std::vector<std::byte>& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::write(3, bytes.data() + sent, bytes.size() - sent);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

void send_corrupt(std::string_view kind, std::size_t max_payload) {
  std::vector<std::byte> bytes = encode_frame(echo, as_payload("corrupt me"));
  if (kind == "magic") {
    bytes[0] = std::byte{'X'};
  } else if (kind == "version") {
    bytes[4] = std::byte{9};
  } else if (kind == "flags") {
    bytes[5] = std::byte{1};
  } else if (kind == "crc") {
    bytes.back() ^= std::byte{0x01};
  } else if (kind == "oversize") {
    const auto length = static_cast<std::uint32_t>(max_payload + 1);
    for (std::size_t i = 0; i < 4; ++i) bytes[8 + i] = static_cast<std::byte>((length >> (8 * i)) & 0xFFu);
  } else if (kind == "reserved") {
    bytes = encode_frame(0xFF55, {});
  }
  write_raw(bytes);
}

[[noreturn]] void block_forever() {
  for (;;) ::pause();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string descriptors = open_descriptors();
  bool manual_heartbeats = false;
  bool ignore_shutdown = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--manual-heartbeats") manual_heartbeats = true;
    if (flag == "--ignore-term") ::signal(SIGTERM, SIG_IGN);
    if (flag == "--ignore-shutdown") ignore_shutdown = true;
    if (flag == "--exit-at-once" && i + 1 < argc) return std::atoi(argv[i + 1]);
  }

  worker_session session({.inbox_capacity = 64, .automatic_heartbeats = !manual_heartbeats});
  const auto beat_every = session.heartbeat_interval() / 2;
  for (;;) {
    std::optional<frame> message = manual_heartbeats ? session.receive_for(beat_every) : session.receive();
    if (!message) {
      if (manual_heartbeats && !session.stop_requested()) {
        session.beat();
        continue;
      }
      if (ignore_shutdown) {
        if (manual_heartbeats) {
          for (;;) {
            session.beat();
            ::usleep(static_cast<useconds_t>(beat_every.count() * 1000));
          }
        }
        block_forever();
      }
      return 0;
    }
    if (manual_heartbeats) session.beat();
    const std::string_view text = message->text();
    switch (message->type) {
      case echo:
        session.send(echo, message->payload);
        break;
      case exit_with:
        std::fflush(nullptr);
        ::_exit(static_cast<int>(two_numbers(text).first));
      case abort_now:
        std::abort();
      case segfault:
        // Sanitizers catch SIGSEGV and exit instead: put the default action back to die of it.
        ::signal(SIGSEGV, SIG_DFL);
        ::raise(SIGSEGV);
        break;
      case hang:
        block_forever();
      case flood: {
        const auto [count, size] = two_numbers(text);
        const std::string chunk(static_cast<std::size_t>(size), 'f');
        for (long i = 0; i < count; ++i) session.send(flood_data, as_payload(chunk));
        session.send(flood_done, as_payload(std::to_string(count)));
        return 0;
      }
      case corrupt:
        send_corrupt(text, session.max_payload());
        break;
      case report_fds:
        session.send(report_fds, as_payload(descriptors));
        break;
      case last_words: {
        const auto [count, code] = two_numbers(text);
        for (long i = 0; i < count; ++i) session.send(last_word, as_payload(std::to_string(i)));
        ::_exit(static_cast<int>(code));
      }
      case report_ids: {
        const std::string ids = std::to_string(::getpid()) + " " + std::to_string(session.parent_pid()) +
                                " " + std::to_string(session.worker_id());
        session.send(report_ids, as_payload(ids));
        break;
      }
      case half_frame_exit: {
        std::vector<std::byte> bytes = encode_frame(echo, as_payload("never finished"));
        bytes.resize(bytes.size() / 2);
        write_raw(bytes);
        ::_exit(0);
      }
      case report_env: {
        const char* value = std::getenv(std::string(text).c_str());
        session.send(report_env, as_payload(value != nullptr ? value : "(unset)"));
        break;
      }
      default:
        break;
    }
  }
}
