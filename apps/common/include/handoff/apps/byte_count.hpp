// How the programs write an amount of bytes for people: one format for all of
// them, so pipeline's and fetch's figures read alike.
#pragma once

#include <cstdint>
#include <string>

namespace handoff::apps {

/// "512 B", "45.2 MB", "1.07 GB": decimal units (1 MB = 10^6 bytes). Any thread.
std::string format_bytes(std::uint64_t bytes);

}  // namespace handoff::apps
