#include "engine/response_headers.hpp"

#include "engine/file_name.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <ctime>

namespace handoff::fetch {

namespace {

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

// A whole non-negative decimal number, or nothing.
std::optional<std::int64_t> parse_number(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < 0)
    return std::nullopt;
  return value;
}

}  // namespace

std::optional<content_range> parse_content_range(std::string_view value) {
  value = trim(value);
  if (value.size() < 6 || !iequals(value.substr(0, 6), "bytes ")) return std::nullopt;
  value = trim(value.substr(6));
  const std::size_t dash = value.find('-');
  const std::size_t slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) return std::nullopt;
  const auto first = parse_number(value.substr(0, dash));
  const auto last = parse_number(value.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *first > *last) return std::nullopt;
  content_range range{*first, *last, -1};
  const std::string_view total = value.substr(slash + 1);
  if (total != "*") {
    const auto t = parse_number(total);
    if (!t || *t <= *last) return std::nullopt;
    range.total = *t;
  }
  return range;
}

std::string_view standard_reason_phrase(long status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return {};
  }
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::int64_t now) {
  if (const auto seconds = parse_number(value)) return std::chrono::seconds(*seconds);
  // An HTTP-date ("Sun, 22 Nov 2026 07:00:00 GMT"); libcurl parses every form RFC 9110 allows.
  const std::string text(value);
  const std::time_t when = curl_getdate(text.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  return std::chrono::seconds(std::max<std::int64_t>(static_cast<std::int64_t>(when) - now, 0));
}

void response_headers::clear() { *this = response_headers{}; }

void response_headers::feed(std::string_view line) {
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
    clear();
    // "HTTP/1.1 404 Not Found" or "HTTP/2 404".
    std::string_view rest = trim(line);
    const std::size_t space = rest.find(' ');
    if (space == std::string_view::npos) return;
    rest = trim(rest.substr(space + 1));
    const std::size_t end = rest.find(' ');
    status_ = static_cast<long>(parse_number(rest.substr(0, end)).value_or(0));
    if (end != std::string_view::npos) reason_ = std::string(trim(rest.substr(end + 1)));
    return;
  }
  if (trim(line).empty()) {
    complete_ = true;
    return;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  const std::string_view name = trim(line.substr(0, colon));
  const std::string_view value = trim(line.substr(colon + 1));
  if (iequals(name, "content-length")) {
    content_length_ = parse_number(value).value_or(-1);
  } else if (iequals(name, "content-range")) {
    range_ = parse_content_range(value);
  } else if (iequals(name, "content-disposition")) {
    disposition_name_ = name_from_content_disposition(value);
  } else if (iequals(name, "retry-after")) {
    retry_after_ = parse_retry_after(value, static_cast<std::int64_t>(std::time(nullptr)));
  }
}

std::string response_headers::status_text() const {
  // Appended piece by piece: gcc 12 warns falsely (-Wrestrict) on "literal" + std::to_string().
  std::string text = "HTTP ";
  text += std::to_string(status_);
  const std::string_view phrase =
      reason_.empty() ? standard_reason_phrase(status_) : std::string_view(reason_);
  if (!phrase.empty()) {
    text += ' ';
    text += phrase;
  }
  return text;
}

}  // namespace handoff::fetch
