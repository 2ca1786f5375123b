// The pipeline program seen from outside: started as a child process (with a
// file-size limit, a terminal, or pipes the test holds), signalled, and its
// output compared with references computed here.
#include <gtest/gtest.h>

#include <unicode/ustring.h>
#include "support/child_program.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

using handoff::testing::finished;
using handoff::testing::launch;

// A running pipeline whose stdout and stderr the test reads.
class child_program : public handoff::testing::child_program {
 public:
  explicit child_program(launch how) : handoff::testing::child_program(PIPELINE_PROGRAM, std::move(how)) {}
};

finished run_program(std::vector<std::string> arguments) {
  child_program program(launch{.arguments = std::move(arguments)});
  return program.wait();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

std::string ascii_reference(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// A line of well-formed UTF-8 uppercased through ICU's UTF-16 API, a path independent of the program's.
std::string icu_reference(const std::string& line) {
  UErrorCode status = U_ZERO_ERROR;
  std::vector<UChar> wide(line.size() + 1);
  int32_t wide_length = 0;
  u_strFromUTF8(wide.data(), static_cast<int32_t>(wide.size()), &wide_length, line.data(),
                static_cast<int32_t>(line.size()), &status);
  std::vector<UChar> upper(3 * wide.size() + 16);
  const int32_t upper_length =
      u_strToUpper(upper.data(), static_cast<int32_t>(upper.size()), wide.data(), wide_length, "", &status);
  std::string out(4 * static_cast<std::size_t>(upper_length) + 16, '\0');
  int32_t out_length = 0;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &out_length, upper.data(), upper_length, &status);
  EXPECT_TRUE(U_SUCCESS(status)) << u_errorName(status);
  out.resize(static_cast<std::size_t>(out_length));
  return out;
}

// Waits for an observable state of another process, checking every millisecond, up to `limit`.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 30000ms) {
  const auto give_up = steady::now() + limit;
  while (!condition()) {
    if (steady::now() > give_up) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

class pipeline_program : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = (fs::temp_directory_path() / "pipeline-program-XXXXXX").string();
    ASSERT_NE(mkdtemp(name.data()), nullptr);
    folder_ = name;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(folder_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(folder_, ignored);
  }
  [[nodiscard]] std::string path(const std::string& name) const { return (folder_ / name).string(); }
  /// What the folder holds, sorted.
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(folder_))
      found.push_back(entry.path().filename().string());
    std::sort(found.begin(), found.end());
    return found;
  }
  [[nodiscard]] bool temporary_file_exists() const {
    const auto all = names();
    return std::any_of(all.begin(), all.end(),
                       [](const std::string& n) { return n.find(".pipeline-") != std::string::npos; });
  }
  /// Runs pipeline on `text` written to in.txt, with `flags` before the paths; the output file's contents in
  /// `out`.
  finished run_on(std::string_view text, std::vector<std::string> flags = {}, std::string* out = nullptr) {
    write_file(path("in.txt"), text);
    flags.push_back(path("in.txt"));
    flags.push_back(path("out.txt"));
    finished done = run_program(flags);
    if (out != nullptr) *out = read_file(path("out.txt"));
    return done;
  }

  fs::path folder_;
};

void expect_one_line_naming(const finished& done, int status, const std::string& named) {
  EXPECT_TRUE(done.exited);
  EXPECT_EQ(done.status, status) << done.err;
  EXPECT_EQ(std::count(done.err.begin(), done.err.end(), '\n'), 1) << done.err;
  EXPECT_EQ(done.err.rfind("pipeline: ", 0), 0U) << done.err;
  EXPECT_NE(done.err.find(named), std::string::npos) << done.err;
}

// --- what comes out ------------------------------------------------------------------------------

TEST_F(pipeline_program, ascii_text_comes_out_uppercased_with_every_line_in_order) {
  std::string text;
  for (int i = 0; i < 300000; ++i) text += "line " + std::to_string(i) + ": the quick brown fox, {[~]}\n";
  std::string out;
  const finished done = run_on(text, {"--block-size", "4k"}, &out);
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_TRUE(done.err.empty()) << done.err;
  ASSERT_EQ(out.size(), text.size());
  EXPECT_TRUE(out == ascii_reference(text));
  EXPECT_EQ(names(), (std::vector<std::string>{"in.txt", "out.txt"}));
}

TEST_F(pipeline_program, a_unicode_sample_comes_out_as_the_reference_gives_it) {
  // Known pairs from Python 3.11's str.upper(), then lines checked against ICU's UTF-16 path.
  // clang-format measures these multi-byte characters differently on each pass.
  // clang-format off
  const std::string known_in =
      "Straße ﬁne ﬃ ŉ ΐ ᾳ ᾷ ǆ ǅ ÿ é ı ſ µ ς я ґ և ა ⓐ 𐐨 ｆ ꭰ ǰ ẞ 日本 "
      "😀\n";
  const std::string known_out =
      "STRASSE FINE FFI ʼN \u0399\u0308\u0301 ΑΙ Α͂Ι Ǆ Ǆ Ÿ É I S Μ Σ Я Ґ ԵՒ Ა Ⓐ 𐐀 Ｆ Ꭰ "
      "J̌ "
      "ẞ "
      "日本 "
      "😀\n";
  // clang-format on
  const std::vector<std::string> samples = {"Größenwahn und Fußgängerübergänge",
                                            "ǅemal ǈubljana ǋegoš",
                                            "ὀδυσσεύς ᾠδή ῥήτωρ",
                                            "Ленинград, ёлка",
                                            "Հայաստան և",
                                            "ქართული ენა",
                                            "ｆｕｌｌ ｗｉｄｔｈ",
                                            "𐐨𐐩𐐪 Deseret",
                                            "ǰ ΰ ﬅ ﬆ ﬓ"};
  std::string text = known_in;
  std::string expected = known_out;
  for (int round = 0; round < 2000; ++round) {
    for (const auto& line : samples) {
      text += line + " " + std::to_string(round) + "\n";
      expected += icu_reference(line + " " + std::to_string(round)) + "\n";
    }
  }
  std::string out;
  const finished done = run_on(text, {"--block-size", "4k"}, &out);
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_TRUE(done.err.empty()) << done.err;
  EXPECT_EQ(out.substr(0, known_out.size()), known_out);
  EXPECT_TRUE(out == expected);
}

TEST_F(pipeline_program, a_100_mb_single_line_comes_out_whole_with_no_character_split) {
  // 11 bytes with characters of 1, 2, 3 and 4 bytes: block cuts fall inside characters.
  const std::string piece = "aé€𐐨 ";
  const std::string upper_piece = "AÉ€𐐀 ";
  const std::size_t pieces = 100'000'000 / piece.size();
  std::string text;
  text.reserve(pieces * piece.size() + 1);
  for (std::size_t i = 0; i < pieces; ++i) text += piece;
  text += '\n';
  std::string out;
  const finished done = run_on(text, {"--stats"}, &out);
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(done.err.find("invalid"), std::string::npos) << done.err;
  EXPECT_NE(done.err.find("1 lines"), std::string::npos) << done.err;
  ASSERT_EQ(out.size(), pieces * upper_piece.size() + 1);
  bool same = out.back() == '\n';
  for (std::size_t i = 0; same && i < pieces; ++i)
    same = out.compare(i * upper_piece.size(), upper_piece.size(), upper_piece) == 0;
  EXPECT_TRUE(same);
}

TEST_F(pipeline_program, an_empty_file_gives_an_empty_file) {
  std::string out = "not read";
  const finished done = run_on("", {}, &out);
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_TRUE(fs::exists(path("out.txt")));
  EXPECT_EQ(out, "");
}

TEST_F(pipeline_program, a_last_line_without_a_newline_stays_without_one) {
  std::string out;
  const finished done = run_on("first\nsecond, ß", {"--stats"}, &out);
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(out, "FIRST\nSECOND, SS");
  EXPECT_NE(done.err.find(": 2 lines, "), std::string::npos) << done.err;
}

TEST_F(pipeline_program, crlf_line_ends_are_kept_as_they_are) {
  std::string out;
  const finished done = run_on("dos\r\nline é\r\n\r\nmixed\nend\r", {}, &out);
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(out, "DOS\r\nLINE É\r\n\r\nMIXED\nEND\r");
}

TEST_F(pipeline_program, invalid_utf8_passes_through_unchanged_and_is_counted_on_stderr) {
  const std::string text = "ok \xff\xfe é\n\xe2\x82 cut euro\nsurrogate \xed\xa0\x80\n";
  for (const bool ascii : {false, true}) {
    std::string out;
    const finished done =
        run_on(text, ascii ? std::vector<std::string>{"--ascii"} : std::vector<std::string>{}, &out);
    ASSERT_EQ(done.status, 0) << done.err;
    const std::string expected = ascii ? "OK \xff\xfe é\n\xe2\x82 CUT EURO\nSURROGATE \xed\xa0\x80\n"
                                       : "OK \xff\xfe É\n\xe2\x82 CUT EURO\nSURROGATE \xed\xa0\x80\n";
    EXPECT_EQ(out, expected);
    EXPECT_EQ(done.err, "pipeline: 6 invalid UTF-8 sequences (7 bytes) passed through unchanged\n");
  }
}

TEST_F(pipeline_program, ascii_mode_leaves_every_byte_above_127_untouched) {
  std::string out;
  const finished done = run_on("Straße ǆ é\n", {"--ascii"}, &out);
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(out, "STRAßE ǆ é\n");
}

TEST_F(pipeline_program, a_dash_means_stdin_and_stdout) {
  child_program program(launch{.arguments = {"-", "-"}, .feed_stdin = true});
  const std::string text = "from a pipe, ß\nand more\n";
  ASSERT_EQ(write(program.stdin_fd(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  program.close_stdin();
  const finished done = program.wait();
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(done.out, "FROM A PIPE, SS\nAND MORE\n");
}

TEST_F(pipeline_program, stats_gives_lines_per_second_and_mb_per_second_on_stderr) {
  const finished done = run_on("a\nb\nc\n", {"--stats"});
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(done.err.rfind("pipeline: 3 lines, 6 B in ", 0), 0U) << done.err;
  EXPECT_NE(done.err.find(" lines/s, "), std::string::npos) << done.err;
  EXPECT_NE(done.err.find(" MB/s\n"), std::string::npos) << done.err;
}

TEST_F(pipeline_program, progress_is_drawn_on_stderr_when_it_is_a_terminal_and_never_otherwise) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "progress line " + std::to_string(i) + "\n";
  write_file(path("in.txt"), text);
  child_program on_terminal(
      launch{.arguments = {path("in.txt"), path("out.txt")}, .stderr_on_terminal = true});
  const finished shown = on_terminal.wait();
  ASSERT_EQ(shown.status, 0) << shown.err;
  EXPECT_NE(shown.err.find("\r\x1b[2K"), std::string::npos) << shown.err;
  EXPECT_NE(shown.err.find("(100%), 20000 lines, "), std::string::npos) << shown.err;
  EXPECT_NE(shown.err.find("ETA 0:00"), std::string::npos) << shown.err;

  const finished hidden = run_program({path("in.txt"), path("out2.txt")});
  ASSERT_EQ(hidden.status, 0) << hidden.err;
  EXPECT_TRUE(hidden.err.empty()) << hidden.err;
}

// --- failures: one line, the right status, nothing left behind ----------------------------------

TEST_F(pipeline_program, a_missing_input_gives_one_line_exit_2_and_no_output) {
  const finished done = run_program({path("missing.txt"), path("out.txt")});
  expect_one_line_naming(done, 2, "missing.txt");
  EXPECT_NE(done.err.find("No such file"), std::string::npos) << done.err;
  EXPECT_TRUE(names().empty());
}

TEST_F(pipeline_program, an_output_that_cannot_be_created_gives_one_line_and_exit_2) {
  write_file(path("in.txt"), "abc\n");
  fs::create_directory(path("dir"));
  expect_one_line_naming(run_program({path("in.txt"), path("nowhere/out.txt")}), 2, "nowhere/out.txt");
  expect_one_line_naming(run_program({path("in.txt"), path("in.txt/out.txt")}), 2, "in.txt/out.txt");
  expect_one_line_naming(run_program({path("in.txt"), path("dir")}), 2, "is a directory");
  if (geteuid() != 0) {  // root writes into a read-only folder anyway
    fs::create_directory(path("locked"));
    fs::permissions(path("locked"), fs::perms::owner_read | fs::perms::owner_exec);
    expect_one_line_naming(run_program({path("in.txt"), path("locked/out.txt")}), 2, "Permission denied");
    EXPECT_TRUE(fs::is_empty(path("locked")));
  }
  EXPECT_EQ(names(), (std::vector<std::string>{"dir", "in.txt"}));
}

TEST_F(pipeline_program, the_input_named_as_the_output_gives_one_line_exit_2_and_leaves_it_untouched) {
  write_file(path("in.txt"), "keep me\n");
  fs::create_hard_link(path("in.txt"), path("link.txt"));
  expect_one_line_naming(run_program({path("in.txt"), path("in.txt")}), 2, "same file");
  expect_one_line_naming(run_program({path("in.txt"), path("link.txt")}), 2, "same file");
  expect_one_line_naming(run_program({path("in.txt"), path("../" + folder_.filename().string() + "/in.txt")}),
                         2, "same file");
  EXPECT_EQ(read_file(path("in.txt")), "keep me\n");
  EXPECT_EQ(names(), (std::vector<std::string>{"in.txt", "link.txt"}));
}

TEST_F(pipeline_program, a_full_disk_gives_one_line_exit_1_and_leaves_the_old_output_as_it_was) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "more than the disk can take " + std::to_string(i) + "\n";
  write_file(path("in.txt"), text);
  for (const bool ignored_by_parent : {true, false}) {
    write_file(path("out.txt"), "the old output\n");
    // A file-size limit stands in for a full disk: write() fails with EFBIG
    // (the program ignores SIGXFSZ itself when its parent did not).
    child_program program(launch{.arguments = {path("in.txt"), path("out.txt")},
                                 .file_size_limit = 1 << 20,
                                 .ignore_sigxfsz = ignored_by_parent});
    const finished done = program.wait();
    expect_one_line_naming(done, 1, "File too large");
    EXPECT_NE(done.err.find("out.txt"), std::string::npos) << done.err;
    EXPECT_EQ(read_file(path("out.txt")), "the old output\n");
    EXPECT_EQ(names(), (std::vector<std::string>{"in.txt", "out.txt"}));
  }
}

TEST_F(pipeline_program, a_bad_argument_gives_one_line_naming_it_and_exit_2) {
  write_file(path("in.txt"), "abc\n");
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--bogus", path("in.txt"), path("out.txt")}, "--bogus"},
      {{"--block-size", "1", path("in.txt"), path("out.txt")}, "--block-size"},
      {{"--block-size", "lots", path("in.txt"), path("out.txt")}, "--block-size"},
      {{"--queue-depth", "0", path("in.txt"), path("out.txt")}, "--queue-depth"},
      {{path("in.txt")}, "OUTPUT"},
      {{}, "INPUT"},
      {{path("in.txt"), path("out.txt"), "extra"}, "extra"}};
  for (const auto& [arguments, named] : bad) {
    const finished done = run_program(arguments);
    expect_one_line_naming(done, 2, named);
    EXPECT_TRUE(done.out.empty());
  }
  EXPECT_EQ(names(), std::vector<std::string>{"in.txt"});
}

// --- signals -------------------------------------------------------------------------------------

TEST_F(pipeline_program, sigint_while_the_reader_waits_on_stdin_exits_130_and_removes_the_temporary_file) {
  write_file(path("out.txt"), "the old output\n");
  child_program program(launch{.arguments = {"-", path("out.txt")}, .feed_stdin = true});
  const std::string text = "a first line\n";
  ASSERT_EQ(write(program.stdin_fd(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  // The temporary file exists once the signals are watched and the run is about to start.
  ASSERT_TRUE(eventually([&] { return temporary_file_exists(); }));
  const auto sent = steady::now();
  kill(program.pid(), SIGINT);
  const finished done = program.wait(30s);
  EXPECT_LT(steady::now() - sent, 10s);
  EXPECT_TRUE(done.exited);
  EXPECT_EQ(done.status, 130) << done.err;
  EXPECT_NE(done.err.find("stopped by SIGINT"), std::string::npos) << done.err;
  EXPECT_FALSE(temporary_file_exists());
  EXPECT_EQ(read_file(path("out.txt")), "the old output\n");
}

TEST_F(pipeline_program, sigint_while_the_writer_waits_on_a_full_stdout_pipe_exits_130_promptly) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "this fills the pipe " + std::to_string(i) + "\n";
  write_file(path("in.txt"), text);
  child_program program(launch{.arguments = {path("in.txt"), "-"}});
  const int capacity = fcntl(program.stdout_fd(), F_GETPIPE_SZ);
  ASSERT_TRUE(eventually([&] {
    int queued = 0;
    return ioctl(program.stdout_fd(), FIONREAD, &queued) == 0 && queued + PIPE_BUF > capacity;
  }));
  const auto sent = steady::now();
  kill(program.pid(), SIGINT);
  const finished done = program.wait(30s);
  EXPECT_LT(steady::now() - sent, 10s);
  EXPECT_TRUE(done.exited);
  EXPECT_EQ(done.status, 130) << done.err;
  EXPECT_LT(done.out.size(), text.size());
}

TEST_F(pipeline_program, sigterm_stops_it_too_with_exit_143) {
  child_program program(launch{.arguments = {"-", path("out.txt")}, .feed_stdin = true});
  ASSERT_TRUE(eventually([&] { return temporary_file_exists(); }));
  kill(program.pid(), SIGTERM);
  const finished done = program.wait(30s);
  EXPECT_EQ(done.status, 143) << done.err;
  EXPECT_TRUE(names().empty());
}

}  // namespace
