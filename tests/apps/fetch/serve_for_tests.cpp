// serve_for_tests: fetch's test HTTP server as a process, for the tests that
// drive the real window from a shell script (fetch_window_test.sh).
//
// Prints "port N" on stdout once it listens on 127.0.0.1, then serves (the
// routes of http_test_server.hpp) until its standard input closes, so the
// script that started it can never leave it behind.
#include "http_test_server.hpp"

#include <unistd.h>

#include <cstdio>
#include <exception>

int main() {
  try {
    const handoff::fetch::testing::http_test_server server;
    std::printf("port %u\n", static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    char buffer[256];
    while (::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
    }
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "serve_for_tests: %s\n", error.what());
    return 1;
  }
}
