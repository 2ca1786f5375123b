// Writes a few valid streams into the directory given as argv[1]: a start for
// the fuzzer, which could hardly guess a matching CRC-32 by itself.
#include "handoff/procs/frame.hpp"

#include <fstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  using namespace handoff::procs;
  const std::vector<std::vector<std::byte>> streams = [] {
    std::vector<std::vector<std::byte>> out;
    out.push_back(encode_frame(1, {}));
    out.push_back(encode_frame(heartbeat_type, {}));
    out.push_back(encode_frame(7, as_payload("hello")));
    std::vector<std::byte> several;
    for (int i = 0; i < 5; ++i)
      append_frame(several, static_cast<message_type>(i), as_payload(std::string(i * 9, 'x')));
    out.push_back(several);
    out.push_back(encode_frame(2, as_payload(std::string(60, 'y'))));
    return out;
  }();
  for (std::size_t i = 0; i < streams.size(); ++i) {
    // The first byte of a fuzz input picks the limit (3: 1024 bytes) and the cuts.
    std::ofstream file(std::string(argv[1]) + "/seed-" + std::to_string(i), std::ios::binary);
    file.put(static_cast<char>(3 + 4 * static_cast<int>(i)));
    file.write(reinterpret_cast<const char*>(streams[i].data()),
               static_cast<std::streamsize>(streams[i].size()));
  }
  return 0;
}
