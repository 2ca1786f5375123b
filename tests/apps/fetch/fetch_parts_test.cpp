// fetch's engine parts that need no network: file names and their safety,
// the name book, response headers, the retry policy and the rate meter.
#include "engine/file_name.hpp"
#include "engine/name_book.hpp"
#include "engine/rate_meter.hpp"
#include "engine/response_headers.hpp"
#include "engine/retry_policy.hpp"
#include "engine/transfer_status.hpp"

#include <gtest/gtest.h>

#include <curl/curl.h>

#include <filesystem>
#include <fstream>

namespace {

using namespace handoff::fetch;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// --- names ---------------------------------------------------------------------------------------

TEST(fetch_names, only_http_and_https_urls_with_a_host_are_urls) {
  EXPECT_TRUE(is_http_url("http://example.com/a"));
  EXPECT_TRUE(is_http_url("HTTPS://example.com"));
  EXPECT_TRUE(is_http_url("http://127.0.0.1:8080/x?y=1#z"));
  EXPECT_FALSE(is_http_url(""));
  EXPECT_FALSE(is_http_url("example.com/a"));
  EXPECT_FALSE(is_http_url("ftp://example.com/a"));
  EXPECT_FALSE(is_http_url("file:///etc/passwd"));
  EXPECT_FALSE(is_http_url("http://"));
  EXPECT_FALSE(is_http_url("http://exa mple.com/"));
  EXPECT_FALSE(is_http_url("not a url"));
}

TEST(fetch_names, the_url_name_is_the_last_path_segment_percent_decoded) {
  EXPECT_EQ(name_from_url("http://h/a/b/file.tar.gz"), "file.tar.gz");
  EXPECT_EQ(name_from_url("http://h/a/my%20file.txt?x=1#top"), "my file.txt");
  EXPECT_EQ(name_from_url("http://h/a/"), "");
  EXPECT_EQ(name_from_url("http://h"), "");
  EXPECT_EQ(name_from_url("http://h/a%2F..%2F..%2Fetc%2Fpasswd"), "a/../../etc/passwd");  // made safe later
}

TEST(fetch_names, content_disposition_gives_filename_star_first_then_filename) {
  EXPECT_EQ(name_from_content_disposition("attachment; filename=\"a b.txt\""), "a b.txt");
  EXPECT_EQ(name_from_content_disposition("attachment; filename=plain.txt"), "plain.txt");
  EXPECT_EQ(name_from_content_disposition("attachment; FILENAME = \"x\\\"y.txt\" ; size=3"), "x\"y.txt");
  EXPECT_EQ(name_from_content_disposition(
                "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt"),
            "\xE2\x82\xAC rates.txt");
  EXPECT_EQ(name_from_content_disposition("attachment; filename*=iso-8859-1'en'%A3%20rates.txt"),
            "\xC2\xA3 rates.txt");
  EXPECT_EQ(name_from_content_disposition("attachment; filename*=klingon''x.txt; filename=y.txt"), "y.txt");
  EXPECT_EQ(name_from_content_disposition("inline"), "");
  EXPECT_EQ(name_from_content_disposition("attachment; creation-date=\"x\""), "");
}

TEST(fetch_names, safe_names_never_leave_the_folder_nor_hide_nor_hold_control_characters) {
  EXPECT_EQ(safe_file_name("../../evil name.txt"), "evil name.txt");
  EXPECT_EQ(safe_file_name("/etc/passwd"), "passwd");
  EXPECT_EQ(safe_file_name("..\\..\\windows\\win.ini"), "win.ini");
  EXPECT_EQ(safe_file_name(".."), "");
  EXPECT_EQ(safe_file_name("."), "");
  EXPECT_EQ(safe_file_name("a/"), "");
  EXPECT_EQ(safe_file_name(".bashrc"), "bashrc");
  EXPECT_EQ(safe_file_name("  . x.txt  "), "x.txt");
  EXPECT_EQ(safe_file_name("a\nb\x1b[31m.txt"), "a_b_[31m.txt");
  const std::string long_name = std::string(300, 'a') + ".tar.gz";
  const std::string cut = safe_file_name(long_name);
  EXPECT_EQ(cut.size(), max_name_bytes);
  EXPECT_TRUE(cut.ends_with(".gz"));
  // Cut on a character boundary: 150 two-byte characters plus an extension.
  std::string accents;
  for (int i = 0; i < 150; ++i) accents += "\xC3\xA9";
  const std::string cut_accents = safe_file_name(accents + "x.txt");
  EXPECT_LE(cut_accents.size(), max_name_bytes);
  EXPECT_TRUE(cut_accents.ends_with(".txt"));
  EXPECT_EQ((static_cast<unsigned char>(cut_accents[cut_accents.size() - 5]) & 0xC0),
            0x80u);  // a whole é before .txt
}

TEST(fetch_names, the_chosen_name_falls_back_from_disposition_to_url_to_index_html) {
  EXPECT_EQ(choose_file_name("report.pdf", "http://h/get?id=3"), "report.pdf");
  EXPECT_EQ(choose_file_name("../..", "http://h/a/data.csv"), "data.csv");
  EXPECT_EQ(choose_file_name("", "http://h/"), "index.html");
  EXPECT_EQ(choose_file_name("", "http://h/%2e%2e"), "index.html");
}

TEST(fetch_names, a_number_goes_before_the_last_extension) {
  EXPECT_EQ(numbered_name("a.bin", 1), "a.1.bin");
  EXPECT_EQ(numbered_name("archive.tar.gz", 2), "archive.tar.2.gz");
  EXPECT_EQ(numbered_name("README", 3), "README.3");
}

class scratch_dir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fetch-parts-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void touch(const std::string& name) { std::ofstream(dir_ / name) << "x"; }
  fs::path dir_;
};

using fetch_name_book = scratch_dir;

TEST_F(fetch_name_book, a_batch_never_gives_one_name_twice) {
  name_book names(dir_, false);
  EXPECT_EQ(names.reserve("a.bin"), "a.bin");
  EXPECT_EQ(names.reserve("a.bin"), "a.1.bin");
  EXPECT_EQ(names.reserve("a.bin"), "a.2.bin");
  EXPECT_TRUE(names.held("a.1.bin.part"));
}

TEST_F(fetch_name_book, an_existing_file_gets_a_numbered_name_unless_forced) {
  touch("a.bin");
  touch("a.1.bin");
  name_book careful(dir_, false);
  EXPECT_EQ(careful.reserve("a.bin"), "a.2.bin");
  name_book forced(dir_, true);
  EXPECT_EQ(forced.reserve("a.bin"), "a.bin");
  fs::create_directory(dir_ / "d");
  EXPECT_EQ(forced.reserve("d"), "d.1");  // force never replaces a folder
}

TEST_F(fetch_name_book, a_part_name_and_a_final_name_never_collide) {
  name_book names(dir_, false);
  EXPECT_EQ(names.reserve("x"), "x");
  EXPECT_EQ(names.reserve("x.part"), "x.1.part");  // "x.part" is x's partial file
  EXPECT_FALSE(names.reserve_exactly("x"));
  EXPECT_TRUE(names.reserve_exactly("y"));
  names.release("y");
  EXPECT_FALSE(names.held("y.part"));
  EXPECT_EQ(names.reserve("y"), "y");
}

// --- response headers ----------------------------------------------------------------------------

TEST(fetch_headers, the_last_response_wins_and_fields_are_case_insensitive) {
  response_headers h;
  h.feed("HTTP/1.1 302 Found\r\n");
  h.feed("Location: /x\r\n");
  h.feed("Content-Length: 6\r\n");
  h.feed("\r\n");
  EXPECT_EQ(h.status(), 302);
  h.feed("HTTP/1.1 206 Partial Content\r\n");
  EXPECT_FALSE(h.complete());
  h.feed("content-range: bytes 10-19/100\r\n");
  h.feed("CONTENT-LENGTH: 10\r\n");
  h.feed("Content-Disposition: attachment; filename=\"r.bin\"\r\n");
  h.feed("\r\n");
  EXPECT_TRUE(h.complete());
  EXPECT_EQ(h.status(), 206);
  EXPECT_EQ(h.content_length(), 10);
  ASSERT_TRUE(h.range());
  EXPECT_EQ(h.range()->first, 10);
  EXPECT_EQ(h.range()->last, 19);
  EXPECT_EQ(h.range()->total, 100);
  EXPECT_EQ(h.disposition_name(), "r.bin");
  EXPECT_EQ(h.status_text(), "HTTP 206 Partial Content");
}

TEST(fetch_headers, http2_status_lines_get_the_standard_phrase) {
  response_headers h;
  h.feed("HTTP/2 404\r\n");
  EXPECT_EQ(h.status_text(), "HTTP 404 Not Found");
  h.feed("HTTP/2 599\r\n");
  EXPECT_EQ(h.status_text(), "HTTP 599");
}

TEST(fetch_headers, content_range_is_parsed_strictly) {
  EXPECT_TRUE(parse_content_range("bytes 0-0/1"));
  EXPECT_EQ(parse_content_range("bytes 5-9/*")->total, -1);
  EXPECT_FALSE(parse_content_range("bytes */100"));
  EXPECT_FALSE(parse_content_range("bytes 9-5/100"));
  EXPECT_FALSE(parse_content_range("bytes 0-99/99"));
  EXPECT_FALSE(parse_content_range("items 0-1/2"));
  EXPECT_FALSE(parse_content_range("bytes x-1/2"));
}

// --- retry policy --------------------------------------------------------------------------------

TEST(fetch_retry_policy, transient_failures_are_timeouts_refusals_cuts_and_5xx_not_4xx) {
  for (const long status : {408L, 429L, 500L, 502L, 503L, 504L})
    EXPECT_TRUE(is_transient_status(status)) << status;
  for (const long status : {400L, 401L, 403L, 404L, 410L, 416L})
    EXPECT_FALSE(is_transient_status(status)) << status;
  for (const CURLcode code : {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_PARTIAL_FILE,
                              CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR}) {
    EXPECT_TRUE(is_transient_curl_error(code)) << code;
  }
  for (const CURLcode code : {CURLE_TOO_MANY_REDIRECTS, CURLE_COULDNT_RESOLVE_HOST, CURLE_WRITE_ERROR,
                              CURLE_UNSUPPORTED_PROTOCOL, CURLE_PEER_FAILED_VERIFICATION}) {
    EXPECT_FALSE(is_transient_curl_error(code)) << code;
  }
}

TEST(fetch_retry_policy, a_servers_retry_after_is_honoured_when_longer_than_the_backoff_up_to_5_minutes) {
  EXPECT_EQ(retry_delay(500ms, std::nullopt), 500ms);
  EXPECT_EQ(retry_delay(500ms, std::chrono::seconds(0)), 500ms);
  EXPECT_EQ(retry_delay(500ms, std::chrono::seconds(120)), 120000ms);
  EXPECT_EQ(retry_delay(500ms, std::chrono::seconds(86400)), 300000ms);
}

TEST(fetch_headers, retry_after_is_delay_seconds_or_an_http_date) {
  EXPECT_EQ(parse_retry_after("120", 0), std::chrono::seconds(120));
  // 1 Jan 2026 00:00:10 GMT is 1767225610.
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 2026 00:00:10 GMT", 1767225600), std::chrono::seconds(10));
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 2026 00:00:10 GMT", 1767225700), std::chrono::seconds(0));
  EXPECT_EQ(parse_retry_after("soon", 0), std::nullopt);
  response_headers h;
  h.feed("HTTP/1.1 503 Service Unavailable\r\n");
  h.feed("retry-after: 7\r\n");
  EXPECT_EQ(h.retry_after(), std::chrono::seconds(7));
  h.feed("HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(h.retry_after(), std::nullopt);
}

TEST(fetch_retry_policy, backoff_doubles_with_jitter_between_half_and_all_and_stops_at_30_s) {
  EXPECT_EQ(backoff_delay(500ms, 0, 1.0), 500ms);
  EXPECT_EQ(backoff_delay(500ms, 0, 0.0), 250ms);
  EXPECT_EQ(backoff_delay(500ms, 1, 1.0), 1000ms);
  EXPECT_EQ(backoff_delay(500ms, 3, 1.0), 4000ms);
  EXPECT_EQ(backoff_delay(500ms, 10, 1.0), 30000ms);
  EXPECT_EQ(backoff_delay(500ms, 4000000000u, 1.0), 30000ms);
  EXPECT_EQ(backoff_delay(0ms, 5, 0.5), 0ms);
  for (double jitter = 0; jitter < 1; jitter += 0.1) {
    const auto d = backoff_delay(1000ms, 2, jitter);
    EXPECT_GE(d, 2000ms);
    EXPECT_LE(d, 4000ms);
  }
}

// --- rate meter, snapshot ------------------------------------------------------------------------

TEST(fetch_rate_meter, the_rate_spans_the_last_second_and_falls_to_zero_on_a_stall) {
  rate_meter meter;
  const auto t0 = rate_meter::clock::time_point{} + 100s;
  EXPECT_EQ(meter.sample(t0, 0), 0);
  EXPECT_DOUBLE_EQ(meter.sample(t0 + 500ms, 500), 1000);
  EXPECT_DOUBLE_EQ(meter.sample(t0 + 1000ms, 1000), 1000);
  EXPECT_DOUBLE_EQ(meter.sample(t0 + 1500ms, 2000), 1500);  // 1500 bytes over the last second
  meter.sample(t0 + 2500ms, 2000);
  EXPECT_DOUBLE_EQ(meter.sample(t0 + 3600ms, 2000), 0);  // nothing moved for over a second
}

TEST(fetch_snapshot_totals, idle_means_every_transfer_finished) {
  fetch_snapshot s;
  EXPECT_TRUE(s.idle());
  s.transfers.resize(3);
  s.transfers[0].state = transfer_state::done;
  s.transfers[0].bytes = 10;
  s.transfers[1].state = transfer_state::retrying;
  s.transfers[2].state = transfer_state::waiting;
  count_totals(s);
  EXPECT_FALSE(s.idle());
  EXPECT_EQ(s.done, 1u);
  EXPECT_EQ(s.active, 1u);
  EXPECT_EQ(s.waiting, 1u);
  EXPECT_EQ(s.bytes, 10u);
  s.transfers[1].state = transfer_state::failed;
  s.transfers[2].state = transfer_state::cancelled;
  EXPECT_TRUE(s.idle());
  EXPECT_EQ(to_string(transfer_state::retrying), "retrying");
}

}  // namespace
