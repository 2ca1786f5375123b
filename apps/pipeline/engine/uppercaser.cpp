#include "engine/uppercaser.hpp"

#include <unicode/ucasemap.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>
#include <unicode/utypes.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <climits>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace handoff::pipeline {

namespace {

constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t high_bits = ones * 0x80;
constexpr std::uint64_t low_bits = ones * 0x7F;

std::uint64_t load(const unsigned char* at) noexcept {
  std::uint64_t word;
  std::memcpy(&word, at, sizeof word);  // an unaligned load, one instruction on x86-64 and ARM64
  return word;
}

void store(unsigned char* at, std::uint64_t word) noexcept { std::memcpy(at, &word, sizeof word); }

// Eight ASCII bytes (each below 0x80) with a-z uppercased, all at once.
std::uint64_t upper_ascii_word(std::uint64_t word) noexcept {
  // No byte can carry into the next: 0x7F + 0x1F and 0x7F + 0x05 stay below 0x100.
  const std::uint64_t from_a = word + ones * (0x80 - 'a');      // high bit set where the byte is >= 'a'
  const std::uint64_t past_z = word + ones * (0x80 - 'z' - 1);  // high bit set where the byte is > 'z'
  return word ^ (((from_a & ~past_z) & high_bits) >> 2);        // 0x80 >> 2 is 0x20, the case bit
}

// 0x01 in each byte of an ASCII word that is '\n', 0x00 elsewhere.
std::uint64_t newline_lanes(std::uint64_t word) noexcept {
  const std::uint64_t zero_at_newline = word ^ (ones * '\n');
  // (b & 0x7F) + 0x7F reaches 0x80 exactly when b is not zero; b is below 0x80 here.
  return (~((zero_at_newline & low_bits) + low_bits) & high_bits) >> 7;
}

unsigned char upper_ascii(unsigned char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<unsigned char>(c - ('a' - 'A')) : c;
}

struct ascii_taken {
  std::size_t bytes;
  std::uint64_t newlines;
};

#if defined(__SSE2__)
// The sum of the sixteen byte counters in `counts`.
std::uint64_t sum_bytes(__m128i counts) noexcept {
  const __m128i halves = _mm_sad_epu8(counts, _mm_setzero_si128());  // two 64-bit sums of eight bytes each
  return static_cast<std::uint64_t>(_mm_cvtsi128_si64(halves)) +
         static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(halves, halves)));
}
#endif

// Uppercases the ASCII bytes at the start of [from, end) into `to` (which may
// be `from` itself), up to the first byte above 127. Says how many bytes it
// took and how many of them were '\n' (returned, not added through a
// reference, so that the caller's count can live in a register).
// Sixteen bytes at a time with SSE2 (every x86-64 has it), then eight at a
// time in a 64-bit word, then one at a time.
ascii_taken ascii_run(const unsigned char* from, const unsigned char* end, unsigned char* to) noexcept {
  const unsigned char* const start = from;
  std::uint64_t newlines = 0;
#if defined(__SSE2__)
  {
    // Signed byte compares are right here: every byte is below 0x80 once the movemask says so.
    const __m128i before_a = _mm_set1_epi8('a' - 1);
    const __m128i after_z = _mm_set1_epi8('z' + 1);
    const __m128i case_bit = _mm_set1_epi8(0x20);
    const __m128i newline = _mm_set1_epi8('\n');
    __m128i counts = _mm_setzero_si128();  // per-byte newline counters, summed before any reaches 255
    unsigned rounds = 0;
    while (end - from >= 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from));
      if (_mm_movemask_epi8(bytes) != 0) break;  // a byte above 127 in these sixteen
      const __m128i lower = _mm_and_si128(_mm_cmpgt_epi8(bytes, before_a), _mm_cmplt_epi8(bytes, after_z));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(to), _mm_xor_si128(bytes, _mm_and_si128(lower, case_bit)));
      counts = _mm_sub_epi8(counts, _mm_cmpeq_epi8(bytes, newline));  // a match is -1
      from += 16;
      to += 16;
      if (++rounds == 255) {
        newlines += sum_bytes(counts);
        counts = _mm_setzero_si128();
        rounds = 0;
      }
    }
    newlines += sum_bytes(counts);
  }
#endif
  // Per-byte newline counters: each lane takes at most 31 before they are summed, so the sum fits a byte.
  std::uint64_t lanes = 0;
  unsigned words = 0;
  while (end - from >= 8) {
    const std::uint64_t word = load(from);
    if ((word & high_bits) != 0) break;
    store(to, upper_ascii_word(word));
    lanes += newline_lanes(word);
    from += 8;
    to += 8;
    if (++words == 31) {
      newlines += (lanes * ones) >> 56;
      lanes = 0;
      words = 0;
    }
  }
  newlines += (lanes * ones) >> 56;
  while (from < end && *from < 0x80) {
    newlines += *from == '\n' ? 1 : 0;
    *to++ = upper_ascii(*from++);
  }
  return {static_cast<std::size_t>(from - start), newlines};
}

// Decodes a well-formed two- or three-byte sequence at `at` (U+0080 to U+FFFF,
// no overlong form, no surrogate): its length, or 0 for anything else (four
// bytes, ill-formed, cut short), which utf8_sequence then sorts out.
inline int decode_bmp(const unsigned char* at, const unsigned char* end, unsigned& code_point) noexcept {
  const unsigned c = at[0];
  if (c >= 0xC2 && c < 0xE0 && end - at >= 2 && (at[1] & 0xC0) == 0x80) {
    code_point = ((c & 0x1Fu) << 6) | (at[1] & 0x3Fu);
    return 2;
  }
  if (c >= 0xE0 && c < 0xF0 && end - at >= 3 && (at[1] & 0xC0) == 0x80 && (at[2] & 0xC0) == 0x80) {
    code_point = ((c & 0x0Fu) << 12) | ((at[1] & 0x3Fu) << 6) | (at[2] & 0x3Fu);
    return code_point >= 0x800 && (code_point < 0xD800 || code_point > 0xDFFF) ? 3 : 0;
  }
  return 0;
}

// ICU's full uppercase mapping of every character from U+0080 to U+FFFF,
// asked once per process from u_strToUpper (root locale) and kept as UTF-8:
// the Unicode path then maps a character with one lookup instead of a call
// into ICU. Root-locale uppercasing depends on nothing but the code point, so
// the table gives exactly what ICU gives for the whole text.
struct bmp_table {
  struct mapping {
    std::uint8_t length = 0;
    char bytes[15] = {};
  };
  std::vector<std::uint16_t> index = std::vector<std::uint16_t>(0x10000, 0);  // 0: unchanged
  std::vector<mapping> mappings = std::vector<mapping>(1);                    // [0] unused
};

bmp_table build_bmp_table() {
  bmp_table table;
  for (UChar32 c = 0x80; c <= 0xFFFF; ++c) {
    if (U_IS_SURROGATE(c)) continue;
    const UChar in = static_cast<UChar>(c);
    UChar upper[8];
    UErrorCode status = U_ZERO_ERROR;
    const std::int32_t upper_length = u_strToUpper(upper, 8, &in, 1, "", &status);
    if (U_FAILURE(status))
      throw std::runtime_error(std::string("ICU uppercasing failed: ") + u_errorName(status));
    if (upper_length == 1 && upper[0] == in) continue;
    bmp_table::mapping m;
    std::int32_t read = 0;
    std::int32_t written = 0;
    while (read < upper_length) {
      UChar32 out_c = 0;
      U16_NEXT(upper, read, upper_length, out_c);
      if (written + U8_LENGTH(out_c) > static_cast<std::int32_t>(sizeof m.bytes)) {
        throw std::runtime_error("ICU's uppercase of a character is longer than expected");
      }
      U8_APPEND_UNSAFE(m.bytes, written, out_c);
    }
    m.length = static_cast<std::uint8_t>(written);
    if (m.length > 3 * U8_LENGTH(c))
      throw std::runtime_error("ICU's uppercase of a character grew more than 3 times");
    table.index[static_cast<std::size_t>(c)] = static_cast<std::uint16_t>(table.mappings.size());
    table.mappings.push_back(m);
  }
  return table;
}

// Built on first use (a static's initialisation is thread-safe), so ASCII-only runs never pay for it.
const bmp_table& bmp_upper_table() {
  static const bmp_table table = build_bmp_table();
  return table;
}

}  // namespace

int utf8_sequence(const unsigned char* at, const unsigned char* end) noexcept {
  // The well-formed sequences of the Unicode standard (table 3-7): the lead
  // byte fixes the length and the range of the second byte (no overlongs, no
  // surrogates, nothing above U+10FFFF); the others are 80..BF.
  const unsigned lead = at[0];
  int length = 0;
  unsigned second_low = 0x80;
  unsigned second_high = 0xBF;
  if (lead < 0xC2) {
    return -1;  // a continuation byte, or a lead that could only start an overlong form
  } else if (lead < 0xE0) {
    length = 2;
  } else if (lead < 0xF0) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (lead < 0xF5) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  } else {
    return -1;
  }
  const std::ptrdiff_t available = end - at;
  if (available < 2 || at[1] < second_low || at[1] > second_high) return -1;
  for (int i = 2; i < length; ++i) {
    if (i >= available || (at[i] & 0xC0) != 0x80) return -i;
  }
  return length;
}

std::size_t cut_point(std::string_view text) noexcept {
  const std::size_t n = text.size();
  if (n == 0) return 0;
  if (const void* newline = memrchr(text.data(), '\n', n); newline != nullptr) {
    return static_cast<std::size_t>(static_cast<const char*>(newline) - text.data()) + 1;
  }
  // No line end: cut before the last lead byte if its sequence runs past the end.
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t lowest = n > 3 ? n - 3 : 0;  // a lead further back has all its bytes here
  for (std::size_t j = n; j-- > lowest;) {
    const unsigned c = bytes[j];
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: its lead is further back
    if (c < 0x80) return n;
    const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    return j + length > n && j > 0 ? j : n;
  }
  return n;
}

uppercaser::uppercaser(case_mode mode) : mode_(mode) {
  if (mode_ == case_mode::ascii) return;
  UErrorCode status = U_ZERO_ERROR;
  // "" is ICU's root locale (nullptr would mean the process's default locale).
  map_ = ucasemap_open("", 0, &status);
  if (U_FAILURE(status) || map_ == nullptr) {
    throw std::runtime_error(std::string("cannot open ICU's case mapping: ") + u_errorName(status));
  }
}

uppercaser::~uppercaser() {
  if (map_ != nullptr) ucasemap_close(map_);
}

void uppercaser::uppercase(block& text) {
  auto* bytes = reinterpret_cast<unsigned char*>(text.data());
  const ascii_taken ascii = ascii_run(bytes, bytes + text.size(), bytes);
  text.newlines = ascii.newlines;
  if (ascii.bytes == text.size()) return;
  if (mode_ == case_mode::ascii) {
    ascii_mode(text, ascii.bytes);
  } else {
    unicode_mode(text, ascii.bytes);
  }
}

std::string uppercaser::uppercase(std::string_view text) {
  block b;
  b.append(text.data(), text.size());
  uppercase(b);
  return std::string(b.view());
}

void uppercaser::ascii_mode(block& text, std::size_t from) {
  auto* at = reinterpret_cast<unsigned char*>(text.data()) + from;
  const auto* end = reinterpret_cast<unsigned char*>(text.data()) + text.size();
  std::uint64_t newlines = text.newlines;
  while (at < end) {
    const unsigned c = *at;
    if (c < 0x80) {
      if (end - at >= 8 && (load(at) & high_bits) == 0) {
        const ascii_taken ascii = ascii_run(at, end, at);  // eight or more: the word-at-a-time loop
        at += ascii.bytes;
        newlines += ascii.newlines;
      } else {
        newlines += c == '\n' ? 1 : 0;
        *at = upper_ascii(static_cast<unsigned char>(c));
        ++at;
      }
      continue;
    }
    // Left as it is; only checked, so that ill-formed UTF-8 is counted here too.
    unsigned code_point = 0;
    int length = decode_bmp(at, end, code_point);
    if (length == 0) {
      length = utf8_sequence(at, end);
      if (length < 0) {
        note_invalid(static_cast<std::size_t>(-length));
        length = -length;
      }
    }
    at += length;
  }
  text.newlines = newlines;
}

void uppercaser::unicode_mode(block& text, std::size_t from) {
  const bmp_table& bmp = bmp_upper_table();
  const std::size_t n = text.size();
  // The part before `from` is already done in place. The rest is rebuilt in
  // scratch_; whichever part is smaller gets copied to join them.
  const bool keep_in_place = from > n - from;
  block& out = scratch_;
  out.clear();
  // Full case mapping makes at most three bytes of UTF-8 from one (U+0390
  // becomes three code points); 16 bytes of slack let a table entry be copied
  // whole. map_stretch still grows the block if ICU ever needed more.
  out.reserve((keep_in_place ? 0 : from) + 3 * (n - from) + 16);
  if (!keep_in_place) out.append(text.data(), from);

  const auto* at = reinterpret_cast<const unsigned char*>(text.data()) + from;
  const auto* end = reinterpret_cast<const unsigned char*>(text.data()) + n;
  auto* to = reinterpret_cast<unsigned char*>(out.data()) + out.size();
  std::uint64_t newlines = text.newlines;
  while (at < end) {
    const unsigned c = *at;
    if (c < 0x80) {
      if (end - at >= 8 && (load(at) & high_bits) == 0) {
        const ascii_taken ascii = ascii_run(at, end, to);  // eight or more: the word-at-a-time loop
        at += ascii.bytes;
        to += ascii.bytes;
        newlines += ascii.newlines;
      } else {
        newlines += c == '\n' ? 1 : 0;  // a short gap between words: byte by byte, no call
        *to++ = upper_ascii(static_cast<unsigned char>(c));
        ++at;
      }
      continue;
    }
    // Two- and three-byte characters (all of U+0080 to U+FFFF) decoded and checked in line.
    unsigned code_point = 0;
    int length = decode_bmp(at, end, code_point);
    if (length == 0) {
      length = utf8_sequence(at, end);
      if (length < 0) {
        std::memcpy(to, at, static_cast<std::size_t>(-length));  // ill-formed: through unchanged
        note_invalid(static_cast<std::size_t>(-length));
        to += -length;
        at += -length;
        continue;
      }
      // Well-formed but not decoded above: four bytes. A run of characters above
      // U+FFFF (emoji, historic scripts) goes to ICU.
      const unsigned char* const start = at;
      do {
        at += 4;
      } while (at < end && *at >= 0xF0 && utf8_sequence(at, end) == 4);
      out.set_size(static_cast<std::size_t>(to - reinterpret_cast<unsigned char*>(out.data())));
      map_stretch(reinterpret_cast<const char*>(start), static_cast<std::size_t>(at - start), out);
      to = reinterpret_cast<unsigned char*>(out.data()) + out.size();
      continue;
    }
    const std::uint16_t entry = bmp.index[code_point];
    if (entry == 0) {
      to[0] = at[0];  // unchanged
      to[1] = at[1];
      if (length == 3) to[2] = at[2];
      to += length;
    } else {
      const bmp_table::mapping& m = bmp.mappings[entry];
      std::memcpy(to, m.bytes, sizeof m.bytes);  // whole: the block has the slack
      to += m.length;
    }
    at += length;
  }
  out.set_size(static_cast<std::size_t>(to - reinterpret_cast<unsigned char*>(out.data())));
  text.newlines = newlines;
  if (keep_in_place) {
    text.set_size(from);
    text.append(out.data(), out.size());
  } else {
    text.swap_bytes(out);
  }
}

void uppercaser::map_stretch(const char* from, std::size_t n, block& out) {
  if (n == 0) return;
  // Blocks are at most 64 MiB, so a stretch and its room always fit ICU's int32_t lengths.
  for (;;) {
    UErrorCode status = U_ZERO_ERROR;
    const std::size_t room = std::min<std::size_t>(out.capacity() - out.size(), INT32_MAX);
    const std::int32_t written =
        ucasemap_utf8ToUpper(map_, out.data() + out.size(), static_cast<std::int32_t>(room), from,
                             static_cast<std::int32_t>(n), &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      // Never seen (ICU stays within three times), but if it were: grow by all
      // it needs, so that the room promised to the rest of the block remains.
      out.reserve(out.capacity() + static_cast<std::size_t>(written) + 16);
      continue;
    }
    if (U_FAILURE(status))
      throw std::runtime_error(std::string("ICU uppercasing failed: ") + u_errorName(status));
    out.set_size(out.size() + static_cast<std::size_t>(written));
    return;
  }
}

}  // namespace handoff::pipeline
