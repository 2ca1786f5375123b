// fetch's file names: where a download's name comes from, and how it is made safe.
//
// A name comes from the response's Content-Disposition (filename*= first,
// then filename=) or else from the last segment of the URL's path as given
// (not the one redirects led to, as wget and curl -O do), percent-decoded;
// "index.html" when neither gives one. Whatever a server or a URL says, the
// result is one plain name inside the download directory:
//   - only what follows the last '/' or '\' is kept, so "../../x" is "x";
//   - control characters become '_'; leading dots and spaces, and trailing
//     spaces, are dropped ("..", ".", ".bashrc" never come out as such);
//   - at most max_name_bytes bytes (cut on a UTF-8 boundary, extension kept),
//     leaving room for a number and ".part" within NAME_MAX.
//
// Threads: pure functions. Any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace handoff::fetch {

inline constexpr std::size_t max_name_bytes = 200;

/// True for an absolute http:// or https:// URL with a host (scheme case-insensitive).
bool is_http_url(std::string_view text);

/// The last segment of the URL's path, percent-decoded; empty if the path
/// ends in '/' or the text is not a URL.
std::string name_from_url(std::string_view url);

/// The file name a Content-Disposition header value carries (filename*=
/// with its charset decoded, else filename=, quoted or not), unsanitized;
/// empty if none.
std::string name_from_content_disposition(std::string_view value);

/// `raw` made into one safe file name, as the header says; empty if nothing is left.
std::string safe_file_name(std::string_view raw);

/// The name a download gets: the safe disposition name, else the safe URL name, else "index.html".
std::string choose_file_name(std::string_view disposition_name, std::string_view url);

/// "a.bin", 2 -> "a.2.bin"; "README", 1 -> "README.1" (the number goes before the last extension).
std::string numbered_name(std::string_view name, unsigned number);

/// "%41b" -> "Ab"; a '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view text);

}  // namespace handoff::fetch
