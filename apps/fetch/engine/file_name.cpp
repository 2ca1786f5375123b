#include "engine/file_name.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

namespace handoff::fetch {

namespace {

struct url_deleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
using url_handle = std::unique_ptr<CURLU, url_deleter>;

struct curl_text_deleter {
  void operator()(char* text) const noexcept { curl_free(text); }
};
using curl_text = std::unique_ptr<char, curl_text_deleter>;

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// ISO-8859-1 bytes as UTF-8: each byte is the code point of the same value.
std::string latin1_to_utf8(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out += c;
    } else {
      out += static_cast<char>(0xC0 | (byte >> 6));
      out += static_cast<char>(0x80 | (byte & 0x3F));
    }
  }
  return out;
}

// RFC 8187 ext-value: charset'language'percent-encoded.
std::string decode_ext_value(std::string_view value) {
  const std::size_t first = value.find('\'');
  if (first == std::string_view::npos) return {};
  const std::size_t second = value.find('\'', first + 1);
  if (second == std::string_view::npos) return {};
  const std::string_view charset = value.substr(0, first);
  const std::string decoded = percent_decode(value.substr(second + 1));
  if (iequals(charset, "utf-8")) return decoded;
  if (iequals(charset, "iso-8859-1")) return latin1_to_utf8(decoded);
  return {};  // a charset we cannot read: fall back to filename=
}

// One parameter value: a quoted string (backslash escapes) or a token up to ';'.
// Advances `rest` past it.
std::string read_value(std::string_view& rest) {
  rest = trim(rest);
  std::string value;
  if (!rest.empty() && rest.front() == '"') {
    std::size_t i = 1;
    for (; i < rest.size() && rest[i] != '"'; ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
      value += rest[i];
    }
    rest.remove_prefix(std::min(i + 1, rest.size()));
    const std::size_t semicolon = rest.find(';');
    rest.remove_prefix(semicolon == std::string_view::npos ? rest.size() : semicolon);
    return value;
  }
  const std::size_t semicolon = rest.find(';');
  value = std::string(trim(rest.substr(0, semicolon)));
  rest.remove_prefix(semicolon == std::string_view::npos ? rest.size() : semicolon);
  return value;
}

// Cuts at most `limit` bytes off the front of UTF-8 text without splitting a character.
std::string_view utf8_prefix(std::string_view text, std::size_t limit) noexcept {
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

bool is_http_url(std::string_view text) {
  if (text.empty() || text.find_first_of(" \t\r\n") != std::string_view::npos) return false;
  const url_handle url(curl_url());
  if (!url) return false;
  const std::string copy(text);
  // No CURLU_GUESS_SCHEME: "example.com/x" is a line without a scheme, not a URL.
  if (curl_url_set(url.get(), CURLUPART_URL, copy.c_str(), 0) != CURLUE_OK) return false;
  char* scheme_text = nullptr;
  if (curl_url_get(url.get(), CURLUPART_SCHEME, &scheme_text, 0) != CURLUE_OK) return false;
  const curl_text scheme(scheme_text);
  char* host_text = nullptr;
  if (curl_url_get(url.get(), CURLUPART_HOST, &host_text, 0) != CURLUE_OK) return false;
  const curl_text host(host_text);
  const std::string_view s(scheme.get());
  return (iequals(s, "http") || iequals(s, "https")) && host && *host != '\0';
}

std::string name_from_url(std::string_view url_text) {
  const url_handle url(curl_url());
  if (!url) return {};
  const std::string copy(url_text);
  if (curl_url_set(url.get(), CURLUPART_URL, copy.c_str(), 0) != CURLUE_OK) return {};
  char* path_text = nullptr;
  // Still encoded: a "%2F" must not split the path before we take its last segment.
  if (curl_url_get(url.get(), CURLUPART_PATH, &path_text, 0) != CURLUE_OK) return {};
  const curl_text path(path_text);
  const std::string_view p(path.get());
  const std::size_t slash = p.rfind('/');
  return percent_decode(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

std::string name_from_content_disposition(std::string_view value) {
  std::string plain;
  std::string extended;
  std::string_view rest = value;
  // Skip the disposition type ("attachment", "inline"); parameters follow each ';'.
  const std::size_t semicolon = rest.find(';');
  if (semicolon == std::string_view::npos) return {};
  rest.remove_prefix(semicolon + 1);
  while (!rest.empty()) {
    rest = trim(rest);
    const std::size_t equals = rest.find('=');
    const std::size_t next = rest.find(';');
    if (equals == std::string_view::npos || (next != std::string_view::npos && next < equals)) {
      // A parameter without a value: skip it.
      rest.remove_prefix(next == std::string_view::npos ? rest.size() : next + 1);
      continue;
    }
    const std::string_view name = trim(rest.substr(0, equals));
    rest.remove_prefix(equals + 1);
    std::string parameter = read_value(rest);
    if (iequals(name, "filename*")) {
      extended = decode_ext_value(parameter);
    } else if (iequals(name, "filename")) {
      plain = std::move(parameter);
    }
    if (!rest.empty() && rest.front() == ';') rest.remove_prefix(1);
  }
  return extended.empty() ? plain : extended;
}

std::string safe_file_name(std::string_view raw) {
  const std::size_t separator = raw.find_last_of("/\\");
  if (separator != std::string_view::npos) raw.remove_prefix(separator + 1);
  std::string name;
  for (const char c : raw) {
    const auto byte = static_cast<unsigned char>(c);
    name += byte < 0x20 || byte == 0x7F ? '_' : c;
  }
  const std::size_t start = name.find_first_not_of(". ");
  if (start == std::string::npos) return {};
  name.erase(0, start);
  name.erase(name.find_last_not_of(' ') + 1);
  if (name.size() > max_name_bytes) {
    // Keep a short extension: "long...name.tar.gz" stays a .gz after the cut.
    const std::size_t dot = name.rfind('.');
    const std::size_t extension = dot != std::string::npos && name.size() - dot <= 16 ? name.size() - dot : 0;
    std::string cut(utf8_prefix(name, max_name_bytes - extension));
    cut += name.substr(name.size() - extension);
    name = std::move(cut);
  }
  return name;
}

std::string choose_file_name(std::string_view disposition_name, std::string_view url) {
  if (std::string name = safe_file_name(disposition_name); !name.empty()) return name;
  if (std::string name = safe_file_name(name_from_url(url)); !name.empty()) return name;
  return "index.html";
}

std::string numbered_name(std::string_view name, unsigned number) {
  const std::size_t dot = name.rfind('.');
  // A dot at the start is not an extension; safe names never start with one anyway.
  const std::size_t stem = dot == std::string_view::npos || dot == 0 ? name.size() : dot;
  // Appended piece by piece: gcc 12 warns falsely (-Wrestrict) on "." + std::to_string().
  std::string numbered(name.substr(0, stem));
  numbered += '.';
  numbered += std::to_string(number);
  numbered += name.substr(stem);
  return numbered;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace handoff::fetch
