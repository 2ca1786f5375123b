// livepi's messages between the coordinator and its worker processes.
//
// They travel as handoff::procs frames (which add length, version and
// checksum); the payloads are fixed-size records in the host's byte order,
// since both ends are the same program on the same machine.
#pragma once

#include "lease_book.hpp"

#include <handoff/procs/frame.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace handoff::livepi::protocol {

inline constexpr procs::message_type lease_type = 1;   // coordinator -> worker: count this range
inline constexpr procs::message_type result_type = 2;  // worker -> coordinator: this is the count

struct lease_message {
  std::uint64_t lease_id = 0;
  point_range range;
  std::uint64_t seed = 0;
  double fault_rate = 0;  // the worker crashes with this probability before answering
};

struct result_message {
  std::uint64_t lease_id = 0;
  std::uint64_t inside = 0;
};

namespace detail {
template <class... Fields>
std::array<std::byte, (sizeof(Fields) + ...)> pack(const Fields&... fields) {
  std::array<std::byte, (sizeof(Fields) + ...)> out{};
  std::size_t at = 0;
  ((std::memcpy(out.data() + at, &fields, sizeof(Fields)), at += sizeof(Fields)), ...);
  return out;
}
template <class... Fields>
bool unpack(std::span<const std::byte> in, Fields&... fields) {
  if (in.size() != (sizeof(Fields) + ...)) return false;
  std::size_t at = 0;
  ((std::memcpy(&fields, in.data() + at, sizeof(Fields)), at += sizeof(Fields)), ...);
  return true;
}
}  // namespace detail

inline auto encode(const lease_message& m) {
  return detail::pack(m.lease_id, m.range.first, m.range.count, m.seed, m.fault_rate);
}
inline auto encode(const result_message& m) { return detail::pack(m.lease_id, m.inside); }

/// nullopt for a payload of the wrong size (a protocol error).
inline std::optional<lease_message> decode_lease(std::span<const std::byte> payload) {
  lease_message m;
  if (!detail::unpack(payload, m.lease_id, m.range.first, m.range.count, m.seed, m.fault_rate))
    return std::nullopt;
  return m;
}
inline std::optional<result_message> decode_result(std::span<const std::byte> payload) {
  result_message m;
  if (!detail::unpack(payload, m.lease_id, m.inside)) return std::nullopt;
  return m;
}

}  // namespace handoff::livepi::protocol
