#include "handoff/procs/frame.hpp"
#include "handoff/errors.hpp"
#include "handoff/procs/detail/crc32.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace handoff::procs {
namespace {

std::vector<std::byte> bytes_of(std::string_view text) {
  const auto view = as_payload(text);
  return {view.begin(), view.end()};
}

std::vector<std::byte> pattern(std::size_t size) {
  std::vector<std::byte> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::byte>((i * 131 + 7) & 0xFF);
  return out;
}

// Feeds `stream` in chunks of `chunk` bytes, collecting every frame.
std::vector<frame> decode_in_chunks(frame_decoder& decoder, std::span<const std::byte> stream,
                                    std::size_t chunk) {
  std::vector<frame> frames;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    decoder.feed(stream.subspan(at, std::min(chunk, stream.size() - at)));
    while (std::optional<frame> f = decoder.next()) frames.push_back(std::move(*f));
  }
  return frames;
}

TEST(Crc32, MatchesTheStandardCheckValue) {
  EXPECT_EQ(detail::crc32(as_payload("123456789")), 0xCBF43926u);
  EXPECT_EQ(detail::crc32({}), 0u);
}

TEST(Crc32, ContinuesAcrossPieces) {
  const std::vector<std::byte> data = pattern(1000);
  const std::uint32_t whole = detail::crc32(data);
  for (std::size_t cut : {0u, 1u, 7u, 8u, 9u, 500u, 999u, 1000u}) {
    const std::span<const std::byte> all(data);
    EXPECT_EQ(detail::crc32(all.subspan(cut), detail::crc32(all.first(cut))), whole) << "cut at " << cut;
  }
}

TEST(Frame, HeaderLayoutIsFixed) {
  const std::vector<std::byte> bytes = encode_frame(0x1234, as_payload("ab"));
  ASSERT_EQ(bytes.size(), frame_header_size + 2);
  EXPECT_EQ(as_text(std::span(bytes).first(4)), "HNDF");
  EXPECT_EQ(bytes[4], std::byte{frame_version});
  EXPECT_EQ(bytes[5], std::byte{0});
  EXPECT_EQ(bytes[6], std::byte{0x34});
  EXPECT_EQ(bytes[7], std::byte{0x12});
  EXPECT_EQ(bytes[8], std::byte{2});
  EXPECT_EQ(bytes[9], std::byte{0});
  EXPECT_EQ(as_text(std::span(bytes).subspan(16)), "ab");
}

TEST(Frame, RoundTripsPayloadsOfEverySize) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16},
                           std::size_t{4096}, std::size_t{65536}, default_max_payload}) {
    const std::vector<std::byte> payload = pattern(size);
    frame_decoder decoder;
    decoder.feed(encode_frame(42, payload));
    std::optional<frame> f = decoder.next();
    ASSERT_TRUE(f.has_value()) << "size " << size;
    EXPECT_EQ(f->type, 42);
    EXPECT_EQ(f->payload, payload);
    EXPECT_FALSE(decoder.next().has_value());
    decoder.finish();
    EXPECT_FALSE(decoder.failed()) << describe(decoder.error());
  }
}

TEST(Frame, DecodesTheSameFramesWhateverTheChunking) {
  std::vector<std::byte> stream;
  std::vector<frame> sent;
  for (int i = 0; i < 20; ++i) {
    frame f{static_cast<message_type>(i), pattern(static_cast<std::size_t>(i * 37))};
    append_frame(stream, f.type, f.payload);
    sent.push_back(std::move(f));
  }
  for (std::size_t chunk : {1u, 2u, 3u, 15u, 16u, 17u, 1000u, 100000u}) {
    frame_decoder decoder;
    EXPECT_EQ(decode_in_chunks(decoder, stream, chunk), sent) << "chunk " << chunk;
    EXPECT_EQ(decoder.buffered(), 0u);
    decoder.finish();
    EXPECT_FALSE(decoder.failed());
  }
}

TEST(Frame, WaitsForMoreBytesWithoutFailing) {
  const std::vector<std::byte> bytes = encode_frame(1, as_payload("hello"));
  frame_decoder decoder;
  decoder.feed(std::span(bytes).first(bytes.size() - 1));
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_FALSE(decoder.failed());
  decoder.feed(std::span(bytes).last(1));
  std::optional<frame> f = decoder.next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->text(), "hello");
}

TEST(Frame, WrongMagicFailsOnItsFirstByte) {
  frame_decoder decoder;
  decoder.feed(bytes_of("X"));
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.error(), frame_error::bad_magic);
}

TEST(Frame, WrongMagicFailsAtEveryPosition) {
  for (std::size_t at = 0; at < 4; ++at) {
    std::vector<std::byte> bytes = encode_frame(1, as_payload("x"));
    bytes[at] ^= std::byte{0x20};
    frame_decoder decoder;
    decoder.feed(bytes);
    EXPECT_FALSE(decoder.next().has_value());
    EXPECT_EQ(decoder.error(), frame_error::bad_magic) << "byte " << at;
  }
}

TEST(Frame, UnknownVersionIsAnError) {
  std::vector<std::byte> bytes = encode_frame(1, as_payload("x"));
  bytes[4] = std::byte{2};
  frame_decoder decoder;
  decoder.feed(std::span(bytes).first(5));
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.error(), frame_error::unsupported_version);
}

TEST(Frame, NonZeroFlagsAreAnError) {
  std::vector<std::byte> bytes = encode_frame(1, as_payload("x"));
  bytes[5] = std::byte{0x80};
  frame_decoder decoder;
  decoder.feed(bytes);
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.error(), frame_error::bad_flags);
}

TEST(Frame, OversizedLengthFailsFromTheHeaderAlone) {
  frame_decoder decoder(100);
  const std::vector<std::byte> ok = encode_frame(1, pattern(100));
  decoder.feed(ok);
  ASSERT_TRUE(decoder.next().has_value());
  const std::vector<std::byte> big = encode_frame(1, pattern(101));
  decoder.feed(std::span(big).first(12));  // the length is known; no payload byte has come
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.error(), frame_error::oversized);
}

TEST(Frame, HugeLengthIsOversizedNotAnAllocation) {
  std::vector<std::byte> bytes = encode_frame(1, {});
  for (std::size_t i = 8; i < 12; ++i) bytes[i] = std::byte{0xFF};
  frame_decoder decoder;
  decoder.feed(bytes);
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.error(), frame_error::oversized);
  EXPECT_LE(decoder.buffered(), frame_header_size);
}

TEST(Frame, AnyFlippedBitOfTypeLengthCrcOrPayloadIsAChecksumMismatch) {
  const std::vector<std::byte> good = encode_frame(0x0102, as_payload("payload"));
  // Bits of the type (6-7), the CRC (12-15) and the payload; flipping the
  // length changes what is waited for and is checked below.
  std::vector<std::size_t> positions{6, 7, 12, 13, 14, 15};
  for (std::size_t i = frame_header_size; i < good.size(); ++i) positions.push_back(i);
  for (std::size_t at : positions) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<std::byte> bytes = good;
      bytes[at] ^= static_cast<std::byte>(1 << bit);
      frame_decoder decoder;
      decoder.feed(bytes);
      EXPECT_FALSE(decoder.next().has_value()) << "byte " << at << " bit " << bit;
      EXPECT_EQ(decoder.error(), frame_error::checksum_mismatch) << "byte " << at << " bit " << bit;
    }
  }
}

TEST(Frame, AShorterLengthIsAChecksumMismatch) {
  std::vector<std::byte> bytes = encode_frame(1, as_payload("payload"));
  bytes[8] = std::byte{3};
  frame_decoder decoder;
  decoder.feed(bytes);
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.error(), frame_error::checksum_mismatch);
}

TEST(Frame, StreamEndingInsideAHeaderIsTruncated) {
  const std::vector<std::byte> bytes = encode_frame(1, as_payload("payload"));
  frame_decoder decoder;
  decoder.feed(std::span(bytes).first(7));
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_FALSE(decoder.failed());
  decoder.finish();
  EXPECT_EQ(decoder.error(), frame_error::truncated);
}

TEST(Frame, StreamEndingInsideAPayloadIsTruncated) {
  const std::vector<std::byte> bytes = encode_frame(1, as_payload("payload"));
  frame_decoder decoder;
  decoder.feed(std::span(bytes).first(bytes.size() - 1));
  EXPECT_FALSE(decoder.next().has_value());
  decoder.finish();
  EXPECT_EQ(decoder.error(), frame_error::truncated);
}

TEST(Frame, StreamEndingBetweenFramesIsClean) {
  frame_decoder decoder;
  decoder.feed(encode_frame(1, as_payload("a")));
  decoder.feed(encode_frame(2, as_payload("b")));
  EXPECT_TRUE(decoder.next().has_value());
  EXPECT_TRUE(decoder.next().has_value());
  decoder.finish();
  EXPECT_FALSE(decoder.failed());
}

TEST(Frame, FramesBeforeAnErrorAreDeliveredAndTheErrorSticks) {
  std::vector<std::byte> stream = encode_frame(1, as_payload("first"));
  const std::vector<std::byte> bad = bytes_of("garbage that is long enough");
  stream.insert(stream.end(), bad.begin(), bad.end());
  frame_decoder decoder;
  decoder.feed(stream);
  std::optional<frame> first = decoder.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->text(), "first");
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.error(), frame_error::bad_magic);
  decoder.feed(encode_frame(2, as_payload("valid again")));
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.error(), frame_error::bad_magic);
}

TEST(Frame, ResetStartsANewStream) {
  frame_decoder decoder;
  decoder.feed(bytes_of("junk"));
  EXPECT_FALSE(decoder.next().has_value());
  ASSERT_TRUE(decoder.failed());
  decoder.reset();
  EXPECT_FALSE(decoder.failed());
  decoder.feed(encode_frame(3, as_payload("fresh")));
  std::optional<frame> f = decoder.next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->text(), "fresh");
}

TEST(Frame, DescribesEveryError) {
  for (frame_error e :
       {frame_error::none, frame_error::bad_magic, frame_error::unsupported_version, frame_error::bad_flags,
        frame_error::oversized, frame_error::checksum_mismatch, frame_error::truncated}) {
    EXPECT_FALSE(describe(e).empty());
  }
  EXPECT_EQ(describe(frame_error::checksum_mismatch), "checksum mismatch");
}

TEST(Frame, DecoderRefusesALimitAboveWhatAHeaderCanSay) {
  if constexpr (sizeof(std::size_t) > 4) {
    EXPECT_THROW(frame_decoder{largest_payload + 1}, errors::invalid_argument);
  }
  EXPECT_NO_THROW(frame_decoder{largest_payload});
}

TEST(Frame, ReservedTypesAreTheTopRange) {
  EXPECT_TRUE(is_reserved(heartbeat_type));
  EXPECT_TRUE(is_reserved(shutdown_type));
  EXPECT_TRUE(is_reserved(0xFFFF));
  EXPECT_FALSE(is_reserved(0));
  EXPECT_FALSE(is_reserved(0xFEFF));
}

}  // namespace
}  // namespace handoff::procs
