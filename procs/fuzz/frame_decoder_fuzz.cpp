// libFuzzer target for handoff::procs::frame_decoder.
//
// The first input byte picks the decoder's payload limit and how the rest is
// cut into chunks; the rest is the byte stream. Besides crashes and sanitizer
// reports, it checks what must hold for any input:
//   - cutting the stream differently changes nothing: same frames, same error;
//   - the frames re-encoded are exactly the start of the stream, and all of it
//     when the stream did not fail;
//   - no payload exceeds the limit, and a decoder that has not failed holds
//     less than one header plus the limit once next() returned nullopt.
#include "handoff/procs/frame.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

namespace {

using handoff::procs::frame;
using handoff::procs::frame_decoder;

struct outcome {
  std::vector<frame> frames;
  handoff::procs::frame_error error;
};

outcome decode(std::span<const std::byte> stream, std::size_t limit, std::uint32_t cut_seed) {
  frame_decoder decoder(limit);
  outcome out;
  std::size_t at = 0;
  std::uint32_t state = cut_seed;
  while (at < stream.size()) {
    std::size_t chunk = stream.size() - at;
    if (cut_seed != 0) {
      state = state * 1664525u + 1013904223u;  // a small LCG: varied, repeatable cuts
      chunk = std::min<std::size_t>(chunk, 1 + (state >> 24) % 40);
    }
    decoder.feed(stream.subspan(at, chunk));
    at += chunk;
    while (std::optional<frame> f = decoder.next()) {
      if (f->payload.size() > limit) std::abort();
      out.frames.push_back(std::move(*f));
    }
    // Unless it failed, what is left is the start of one frame: shorter than a header plus the limit.
    if (!decoder.failed() && decoder.buffered() >= handoff::procs::frame_header_size + limit) std::abort();
  }
  decoder.finish();
  out.error = decoder.error();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::size_t limits[] = {0, 7, 64, 1024};
  const std::size_t limit = limits[data[0] & 3];
  const std::span<const std::byte> stream(reinterpret_cast<const std::byte*>(data + 1), size - 1);

  const outcome whole = decode(stream, limit, 0);
  const outcome pieces = decode(stream, limit, data[0] | 1u);
  if (whole.error != pieces.error || whole.frames != pieces.frames) std::abort();

  std::vector<std::byte> again;
  for (const frame& f : whole.frames) handoff::procs::append_frame(again, f.type, f.payload);
  if (again.size() > stream.size() || !std::equal(again.begin(), again.end(), stream.begin())) std::abort();
  if (whole.error == handoff::procs::frame_error::none && again.size() != stream.size()) std::abort();
  return 0;
}
