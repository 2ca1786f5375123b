// pipeline's engine in process: the uppercaser against references (known
// pairs from Python's str.upper(), and ICU's UTF-16 u_strToUpper for every
// code point), the block cutting, and runs of the three stages over files and
// FIFOs, stopped while they wait.
#include "engine/input_file.hpp"
#include "engine/output_file.hpp"
#include "engine/pipeline_error.hpp"
#include "engine/pipeline_run.hpp"
#include "engine/uppercaser.hpp"

#include <gtest/gtest.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <handoff/errors.hpp>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace handoff::pipeline;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string upper(std::string_view text, case_mode mode = case_mode::unicode) {
  uppercaser u(mode);
  return u.uppercase(text);
}

std::string ascii_reference(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// One code point uppercased through ICU's UTF-16 API: a path independent of the engine's UTF-8 one.
std::string icu_reference(UChar32 code_point) {
  UChar in[2];
  int32_t in_length = 0;
  U16_APPEND_UNSAFE(in, in_length, code_point);
  UChar out[16];
  UErrorCode status = U_ZERO_ERROR;
  const int32_t out_length = u_strToUpper(out, 16, in, in_length, "", &status);
  EXPECT_TRUE(U_SUCCESS(status)) << u_errorName(status);
  char utf8[64];
  int32_t utf8_length = 0;
  u_strToUTF8(utf8, sizeof utf8, &utf8_length, out, out_length, &status);
  EXPECT_TRUE(U_SUCCESS(status)) << u_errorName(status);
  return std::string(utf8, static_cast<std::size_t>(utf8_length));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

// A fresh folder per test, removed afterwards.
class scratch_folder {
 public:
  scratch_folder() {
    std::string name = (fs::temp_directory_path() / "pipeline-engine-XXXXXX").string();
    EXPECT_NE(mkdtemp(name.data()), nullptr);
    path_ = name;
  }
  ~scratch_folder() { fs::remove_all(path_); }
  [[nodiscard]] const fs::path& path() const { return path_; }
  [[nodiscard]] fs::path operator/(const std::string& name) const { return path_ / name; }
  /// The names of what the folder holds.
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(path_)) found.push_back(entry.path().filename().string());
    return found;
  }

 private:
  fs::path path_;
};

// Waits for an observable state, checking every millisecond, up to `limit`.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 20000ms) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Mixed text: ASCII words, accented and other-script words, long and short lines, CRLF.
std::string mixed_text(std::size_t bytes, unsigned seed) {
  static const std::vector<std::string> words = {
      "the", "quick", "brown", "fox", "Straße", "größer", "ﬁne",      "ǆungla", "ΐσως",   "ᾳδω",
      "мир", "ґанок", "ևս",    "ანა", "𐐨𐐩",     "日本語", "😀ok",      "ẞig",    "ÿes",    "ŉot",
      "ǰet", "ﬃx",    "ıl",    "ſa",  "µm",     "ⓐⓑ",     "ｆｕｌｌ", "ꭰꭱ", "ᏸᏹ", "çà"};
  std::mt19937 random(seed);
  std::string text;
  while (text.size() < bytes) {
    const std::size_t length = random() % 23 == 0 ? 3000 + random() % 5000 : random() % 12;
    for (std::size_t i = 0; i < length; ++i) {
      text += words[random() % words.size()];
      text += ' ';
    }
    text += random() % 5 == 0 ? "\r\n" : "\n";
  }
  return text;
}

// --- the uppercaser ------------------------------------------------------------------------------

TEST(pipeline_uppercaser, every_ascii_byte_maps_as_a_to_z_uppercased_and_nothing_else) {
  std::string all;
  for (int round = 0; round < 3; ++round) {
    for (int c = 0; c < 128; ++c) all += static_cast<char>(c);
  }
  EXPECT_EQ(upper(all), ascii_reference(all));
  EXPECT_EQ(upper(all, case_mode::ascii), ascii_reference(all));
  for (std::size_t length = 0; length < 40; ++length) {  // every tail length of the eight-byte loop
    const std::string text = std::string(length, 'q') + "z\n";
    EXPECT_EQ(upper(text), ascii_reference(text)) << length;
  }
}

TEST(pipeline_uppercaser, known_pairs_give_what_pythons_str_upper_gives) {
  // From Python 3.11: ''.upper() for each; full case mapping, root locale.
  const std::vector<std::pair<std::string, std::string>> pairs = {{"ß", "SS"},
                                                                  {"Straße", "STRASSE"},
                                                                  {"ﬁ", "FI"},
                                                                  {"ﬃ", "FFI"},
                                                                  {"ﬀ", "FF"},
                                                                  {"ŉ", "ʼN"},
                                                                  {"ΐ", "\u0399\u0308\u0301"},
                                                                  {"ᾳ", "ΑΙ"},
                                                                  {"ᾷ", "Α͂Ι"},
                                                                  {"ǆ", "Ǆ"},
                                                                  {"ǅ", "Ǆ"},
                                                                  {"ÿ", "Ÿ"},
                                                                  {"é", "É"},
                                                                  {"ı", "I"},
                                                                  {"ſ", "S"},
                                                                  {"µ", "Μ"},
                                                                  {"ω", "Ω"},
                                                                  {"ς", "Σ"},
                                                                  {"я", "Я"},
                                                                  {"ґ", "Ґ"},
                                                                  {"ա", "Ա"},
                                                                  {"և", "ԵՒ"},
                                                                  {"ა", "Ა"},
                                                                  {"ⓐ", "Ⓐ"},
                                                                  {"𐐨", "𐐀"},
                                                                  {"ｆ", "Ｆ"},
                                                                  {"ꭰ", "Ꭰ"},
                                                                  {"ᏸ", "Ᏸ"},
                                                                  {"ǰ", "J̌"},
                                                                  {"ẞ", "ẞ"},
                                                                  {"日本", "日本"},
                                                                  {"😀", "😀"},
                                                                  {"çà va?", "ÇÀ VA?"}};
  for (const auto& [in, out] : pairs) EXPECT_EQ(upper(in), out) << in;
  std::string all_in;
  std::string all_out;
  for (const auto& [in, out] : pairs) {
    all_in += in + " x\n";
    all_out += out + " X\n";
  }
  EXPECT_EQ(upper(all_in), all_out);
}

TEST(pipeline_uppercaser, every_code_point_matches_icus_utf16_u_strToUpper_in_the_root_locale) {
  std::string text;
  std::string expected;
  for (UChar32 c = 0; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;  // surrogates are not characters
    char utf8[4];
    int32_t length = 0;
    U8_APPEND_UNSAFE(utf8, length, c);
    text.append(utf8, static_cast<std::size_t>(length));
    text += '\n';
    expected += icu_reference(c);
    expected += '\n';
  }
  uppercaser u(case_mode::unicode);
  const std::string got = u.uppercase(text);
  EXPECT_EQ(u.invalid_sequences(), 0U);
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

TEST(pipeline_uppercaser, ascii_mode_leaves_every_byte_above_127_as_it_is) {
  const std::string text = "Straße ﬁne ÿ é \xff\xfe abc\n";
  EXPECT_EQ(upper(text, case_mode::ascii), "STRAßE ﬁNE ÿ é \xff\xfe ABC\n");
}

TEST(pipeline_uppercaser, ill_formed_utf8_passes_through_unchanged_and_each_maximal_subpart_is_counted) {
  struct sample {
    std::string in;
    std::string out;
    std::uint64_t sequences;
    std::uint64_t bytes;
  };
  const std::vector<sample> samples = {
      {"a\x80z", "A\x80Z", 1, 1},                          // a lone continuation byte
      {"\xff\xfe ok", "\xff\xfe OK", 2, 2},                // bytes that never occur in UTF-8
      {"\xc0\xaf x", "\xc0\xaf X", 2, 2},                  // an overlong '/'
      {"\xe2\x82 x", "\xe2\x82 X", 1, 2},                  // a truncated euro sign: one subpart of two bytes
      {"\xed\xa0\x80 x", "\xed\xa0\x80 X", 3, 3},          // a surrogate
      {"\xf4\x90\x80\x80 x", "\xf4\x90\x80\x80 X", 4, 4},  // above U+10FFFF
      {"é\xe2\x82ß", "É\xe2\x82SS", 1, 2},                 // between characters ICU maps
      {"ß\xf0\x9f\x98", "SS\xf0\x9f\x98", 1, 3},           // truncated at the very end
  };
  for (const auto& s : samples) {
    for (const case_mode mode : {case_mode::unicode, case_mode::ascii}) {
      uppercaser u(mode);
      const std::string got = u.uppercase(s.in);
      const std::string expected = mode == case_mode::unicode ? s.out : ascii_reference(s.in);
      EXPECT_EQ(got, expected) << s.in;
      EXPECT_EQ(u.invalid_sequences(), s.sequences) << s.in;
      EXPECT_EQ(u.invalid_bytes(), s.bytes) << s.in;
    }
  }
}

TEST(pipeline_uppercaser, counts_the_newlines_of_a_block_on_both_paths) {
  uppercaser u(case_mode::unicode);
  block b;
  const std::string ascii = std::string(1000, 'a') + "\n" + std::string(77, '\n') + "x";
  b.append(ascii.data(), ascii.size());
  u.uppercase(b);
  EXPECT_EQ(b.newlines, 78U);
  std::string dense;  // a newline every other byte: the per-byte counters must be summed before they wrap
  for (int i = 0; i < 100000; ++i) dense += "a\n";
  b.clear();
  b.append(dense.data(), dense.size());
  u.uppercase(b);
  EXPECT_EQ(b.newlines, 100000U);
  EXPECT_EQ(b.view(), ascii_reference(dense));
  const std::string mixed = mixed_text(200000, 1);
  b.clear();
  b.append(mixed.data(), mixed.size());
  u.uppercase(b);
  EXPECT_EQ(b.newlines, static_cast<std::uint64_t>(std::count(mixed.begin(), mixed.end(), '\n')));
}

TEST(pipeline_uppercaser, cut_point_is_after_the_last_newline_or_before_an_incomplete_sequence) {
  EXPECT_EQ(cut_point(""), 0U);
  EXPECT_EQ(cut_point("ab\ncd"), 3U);
  EXPECT_EQ(cut_point("ab\n"), 3U);
  EXPECT_EQ(cut_point("abcd"), 4U);
  EXPECT_EQ(cut_point("abc\xc3"), 3U);              // é cut after its lead byte
  EXPECT_EQ(cut_point("abc\xc3\xa9"), 5U);          // é complete
  EXPECT_EQ(cut_point("abc\xe2\x82"), 3U);          // € missing its last byte
  EXPECT_EQ(cut_point("abc\xf0\x90\x90"), 3U);      // 𐐨 missing its last byte
  EXPECT_EQ(cut_point("abc\xf0\x90\x90\xa8"), 7U);  // 𐐨 complete
  EXPECT_EQ(cut_point("abc\x80\x80\x80"), 6U);      // stray continuation bytes: nothing to wait for
}

// --- runs of the three stages ------------------------------------------------------------------

run_result run_files(const fs::path& in, const fs::path& out, run_settings settings) {
  const input_file input(in.string());
  output_file output(out.string(), input);
  pipeline_run transfer(input, output, settings);
  run_result result = transfer.wait();
  if (result.how == run_result::ending::finished) output.commit(false);
  return result;
}

TEST(pipeline_run, keeps_the_order_of_lines_across_many_small_blocks) {
  scratch_folder folder;
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "line " + std::to_string(i) + " of many\n";
  write_file(folder / "in.txt", text);
  for (const std::size_t depth : {1U, 4U}) {
    const run_result result =
        run_files(folder / "in.txt", folder / "out.txt", {.block_size = 64, .queue_depth = depth});
    ASSERT_EQ(result.how, run_result::ending::finished) << result.error;
    EXPECT_EQ(read_file(folder / "out.txt"), ascii_reference(text));
    EXPECT_EQ(result.lines, 50000U);
    EXPECT_GT(result.blocks, 10000U);  // many lines per block at most, never one message per byte
    EXPECT_EQ(result.totals.input_bytes, text.size());
  }
}

TEST(pipeline_run, any_block_size_gives_the_same_output_and_counts_as_uppercasing_it_whole) {
  scratch_folder folder;
  std::string text = mixed_text(600000, 7);
  text.insert(1000, "\xe2\x82\xff");  // ill-formed bytes, here and at the very end
  text += "\xf0\x9f\x98";
  write_file(folder / "in.txt", text);
  uppercaser whole(case_mode::unicode);
  const std::string expected = whole.uppercase(text);
  for (const std::size_t size : {64U, 100U, 4097U, 1U << 20}) {
    const run_result result = run_files(folder / "in.txt", folder / "out.txt", {.block_size = size});
    ASSERT_EQ(result.how, run_result::ending::finished) << result.error;
    EXPECT_TRUE(read_file(folder / "out.txt") == expected) << "block size " << size;
    EXPECT_EQ(result.invalid_sequences, whole.invalid_sequences()) << size;
    EXPECT_EQ(result.invalid_bytes, whole.invalid_bytes()) << size;
    EXPECT_EQ(result.totals.output_bytes, expected.size());
  }
}

TEST(pipeline_run, a_stop_while_the_reader_waits_on_a_fifo_ends_all_three_and_leaves_no_file) {
  scratch_folder folder;
  const fs::path fifo = folder / "in.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int writer =
      open(fifo.c_str(), O_RDWR | O_CLOEXEC);  // read-write: opening does not wait for a reader
  ASSERT_GE(writer, 0);
  const std::string first = "some lines\nthat arrive\n";
  ASSERT_EQ(write(writer, first.data(), first.size()), static_cast<ssize_t>(first.size()));
  std::stop_source stop;
  {
    const input_file input(fifo.string());
    output_file output((folder / "out.txt").string(), input);
    pipeline_run transfer(input, output, {}, stop.get_token());
    ASSERT_TRUE(eventually([&] { return transfer.progress().input_bytes == first.size(); }));
    EXPECT_FALSE(transfer.wait_for(0ms));  // the reader waits for more input
    stop.request_stop();
    ASSERT_TRUE(transfer.wait_for(10s));
    EXPECT_EQ(transfer.wait().how, run_result::ending::stopped);
    EXPECT_FALSE(output.temporary_path().empty());
    EXPECT_TRUE(fs::exists(output.temporary_path()));
  }
  close(writer);
  EXPECT_EQ(folder.names(), std::vector<std::string>{"in.fifo"});
}

TEST(pipeline_run, a_stop_while_the_writer_waits_on_a_full_fifo_ends_all_three) {
  scratch_folder folder;
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "a line that fills the fifo " + std::to_string(i) + "\n";
  write_file(folder / "in.txt", text);
  const fs::path fifo = folder / "out.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);  // there, but never reading
  ASSERT_GE(reader, 0);
  std::stop_source stop;
  {
    const input_file input((folder / "in.txt").string());
    output_file output(fifo.string(), input);
    EXPECT_TRUE(output.temporary_path().empty());  // a FIFO is written in place
    pipeline_run transfer(input, output, {.block_size = 4096, .queue_depth = 2}, stop.get_token());
    const int capacity = fcntl(reader, F_GETPIPE_SZ);
    ASSERT_TRUE(eventually([&] {
      int queued = 0;
      return ioctl(reader, FIONREAD, &queued) == 0 && queued + PIPE_BUF > capacity;
    }));
    EXPECT_FALSE(transfer.wait_for(0ms));
    stop.request_stop();
    ASSERT_TRUE(transfer.wait_for(10s));
    EXPECT_EQ(transfer.wait().how, run_result::ending::stopped);
  }
  close(reader);
}

TEST(pipeline_run, a_stop_requested_before_the_start_ends_the_run_at_once_as_stopped) {
  scratch_folder folder;
  write_file(folder / "in.txt", "abc\n");
  std::stop_source stop;
  stop.request_stop();
  const input_file input((folder / "in.txt").string());
  output_file output((folder / "out.txt").string(), input);
  pipeline_run transfer(input, output, {}, stop.get_token());
  EXPECT_EQ(transfer.wait().how, run_result::ending::stopped);
}

TEST(pipeline_run, rejects_block_sizes_and_depths_out_of_range) {
  scratch_folder folder;
  write_file(folder / "in.txt", "abc\n");
  const input_file input((folder / "in.txt").string());
  output_file output((folder / "out.txt").string(), input);
  for (const run_settings bad :
       {run_settings{.block_size = min_block_size - 1}, run_settings{.block_size = max_block_size + 1},
        run_settings{.queue_depth = 0}}) {
    EXPECT_THROW({ pipeline_run transfer(input, output, bad); }, handoff::errors::invalid_argument);
  }
}

// --- the output file -----------------------------------------------------------------------------

TEST(pipeline_output_file, appears_only_on_commit_and_an_uncommitted_one_leaves_nothing) {
  scratch_folder folder;
  write_file(folder / "in.txt", "abc\n");
  const input_file input((folder / "in.txt").string());
  {
    output_file output((folder / "out.txt").string(), input);
    ASSERT_EQ(write(output.fd(), "X", 1), 1);
    EXPECT_FALSE(fs::exists(folder / "out.txt"));
    EXPECT_EQ(fs::path(output.temporary_path()).parent_path(), folder.path());
  }
  EXPECT_EQ(folder.names(), std::vector<std::string>{"in.txt"});
  {
    output_file output((folder / "out.txt").string(), input);
    ASSERT_EQ(write(output.fd(), "X", 1), 1);
    output.commit(true);
  }
  EXPECT_EQ(read_file(folder / "out.txt"), "X");
  EXPECT_EQ(folder.names().size(), 2U);
}

TEST(pipeline_output_file, a_replaced_file_keeps_its_permission_bits) {
  scratch_folder folder;
  write_file(folder / "in.txt", "abc\n");
  write_file(folder / "out.txt", "old");
  ASSERT_EQ(chmod((folder / "out.txt").c_str(), 0640), 0);
  const input_file input((folder / "in.txt").string());
  {
    output_file output((folder / "out.txt").string(), input);
    output.commit(false);
  }
  struct stat info {};
  ASSERT_EQ(stat((folder / "out.txt").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0640U);
}

TEST(pipeline_output_file, refuses_the_input_itself_even_by_another_name_and_a_directory) {
  scratch_folder folder;
  write_file(folder / "in.txt", "abc\n");
  fs::create_hard_link(folder / "in.txt", folder / "alias.txt");
  fs::create_directory(folder / "dir");
  const input_file input((folder / "in.txt").string());
  const auto kind_of = [&](const fs::path& path) {
    try {
      output_file output(path.string(), input);
    } catch (const pipeline_error& error) {
      return error.exit_status();
    }
    return 0;
  };
  EXPECT_EQ(kind_of(folder / "in.txt"), 2);
  EXPECT_EQ(kind_of(folder / "alias.txt"), 2);
  EXPECT_EQ(kind_of(folder / "dir"), 2);
  EXPECT_EQ(kind_of(folder / "missing" / "out.txt"), 2);
  EXPECT_EQ(read_file(folder / "in.txt"), "abc\n");
}

}  // namespace
