// handoff::pipeline::uppercaser: uppercases blocks of UTF-8 text, as Python's str.upper() does.
//
// What it does: full Unicode case mapping in the root locale through ICU
// (German sharp s becomes SS, the ligature fi becomes FI, a Greek letter with
// ypogegrammeni becomes two capitals), the mapping Python's str.upper() uses.
// With case_mode::ascii only a-z change and every byte above 127 is left as it is.
//
// Fast paths: runs of ASCII (the whole block, for ASCII text) are uppercased
// in place eight bytes at a time. Characters up to U+FFFF are looked up in a
// table of ICU's answers, asked once per process from u_strToUpper; runs of
// characters above U+FFFF (emoji, historic scripts) go to ICU itself
// (ucasemap_utf8ToUpper, root locale).
//
// Invalid UTF-8 is never dropped or replaced: each maximal ill-formed
// subsequence (as Unicode defines it for U+FFFD substitution) is copied
// through unchanged and counted. ICU is only ever given well-formed UTF-8.
// --ascii checks and counts the same way, though it changes nothing above 127.
//
// What it does not do: locale-specific mappings (Turkish dotted i,
// Lithuanian, modern Greek accent removal); normalisation. The mapping is
// per code point in the root locale, so cutting text at any code point
// boundary gives the same result as uppercasing it whole.
//
// Threads: one uppercaser is used by one thread at a time; it is not shared.
#pragma once

#include "engine/block.hpp"

#include <cstdint>
#include <string>
#include <string_view>

struct UCaseMap;  // ICU's case mapping object (unicode/ucasemap.h)

namespace handoff::pipeline {

enum class case_mode {
  unicode,  // full Unicode uppercasing (ICU, root locale)
  ascii,    // a-z only; bytes above 127 untouched
};

/// Where a block may be cut so that no well-formed UTF-8 sequence is split:
/// just after its last '\n' if it has one, else before an incomplete
/// sequence at its very end, else its whole size. Never 0 for a block of 4
/// bytes or more.
[[nodiscard]] std::size_t cut_point(std::string_view text) noexcept;

/// Length of the UTF-8 sequence that starts at `at` (its first byte is above
/// 127): positive when well-formed (2 to 4), or minus the length of the
/// maximal ill-formed subsequence there (1 to 3).
[[nodiscard]] int utf8_sequence(const unsigned char* at, const unsigned char* end) noexcept;

class uppercaser {
 public:
  /// Opens ICU's case map for the root locale. Throws std::runtime_error if ICU cannot.
  explicit uppercaser(case_mode mode);
  uppercaser(const uppercaser&) = delete;
  uppercaser& operator=(const uppercaser&) = delete;
  ~uppercaser();

  /// Uppercases `text` (it may grow: ß becomes SS) and sets text.newlines. The thread using it.
  void uppercase(block& text);

  /// The same for a string, for callers without blocks (tests, small inputs). The thread using it.
  [[nodiscard]] std::string uppercase(std::string_view text);

  /// Ill-formed UTF-8 seen so far: maximal ill-formed subsequences, and their bytes. The thread using it.
  [[nodiscard]] std::uint64_t invalid_sequences() const noexcept { return invalid_sequences_; }
  [[nodiscard]] std::uint64_t invalid_bytes() const noexcept { return invalid_bytes_; }

 private:
  void ascii_mode(block& text, std::size_t from);
  void unicode_mode(block& text, std::size_t from);
  void map_stretch(const char* from, std::size_t n, block& out);
  void note_invalid(std::size_t bytes) noexcept {
    ++invalid_sequences_;
    invalid_bytes_ += bytes;
  }

  case_mode mode_;
  UCaseMap* map_ = nullptr;
  block scratch_;  // the output of the Unicode path, swapped with (or appended to) the block it rebuilds
  std::uint64_t invalid_sequences_ = 0;
  std::uint64_t invalid_bytes_ = 0;
};

}  // namespace handoff::pipeline
