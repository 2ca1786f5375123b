// bench_pipeline_text: writes deterministic text of a given size to stdout, for pipeline's benchmark.
//
//   bench_pipeline_text ascii BYTES   English-like ASCII words, lines of 0 to 20 words
//   bench_pipeline_text mixed BYTES   the same with about half the words in other scripts:
//                                     German, French, Greek, Cyrillic, Armenian, Georgian,
//                                     CJK, emoji (1 to 4 bytes per character)
//
// The text comes from a fixed-seed generator, so every run measures the same bytes.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

// splitmix64: small, fast, and the same on every machine.
struct random_words {
  std::uint64_t state = 0x5EED;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

const std::vector<std::string_view> ascii_words = {
    "the",    "of",     "and",   "to",     "in",       "is",    "that",    "for",     "it",       "as",
    "with",   "was",    "on",    "be",     "by",       "this",  "are",     "from",    "at",       "or",
    "thread", "queue",  "block", "reader", "writer",   "upper", "channel", "bounded", "pipeline", "Linux",
    "data",   "stream", "line",  "text",   "buffer",   "copy",  "signal",  "stop",    "token",    "close",
    "fast",   "slow",   "disk",  "cache",  "memory",   "order", "first",   "last",    "value",    "42,",
    "(see",   "below)", "x=1;",  "TODO:",  "https://", "e.g.",  "Mr.",     "OK.",     "end.",     "#3"};

const std::vector<std::string_view> other_words = {
    "Straße",   "größer", "Fußgänger", "übermäßig", "Ärger",  "déjà",  "où",   "français", "garçon", "naïve",
    "ﬁn",       "ΐσως",   "ᾳδω",       "Ἀθῆναι",    "λόγος",  "σοφία", "мир",  "Москва",   "ёлка",   "ґанок",
    "Հայաստան", "և",      "ქართული",   "ენა",       "日本語", "東京",  "中文", "한국어",   "😀",      "🚀ok",
    "ẞig",      "ÿes",    "ŉot",       "ǰet",       "ǆungla", "ﬃx",    "𐐨𐐩",   "ｆｕｌｌ", "ꭰꭱ", "µm"};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::string_view(argv[1]) != "ascii" && std::string_view(argv[1]) != "mixed")) {
    std::fprintf(stderr, "usage: bench_pipeline_text ascii|mixed BYTES\n");
    return 2;
  }
  const bool mixed = std::string_view(argv[1]) == "mixed";
  char* end = nullptr;
  const unsigned long long wanted = std::strtoull(argv[2], &end, 10);
  if (end == argv[2] || *end != '\0') {
    std::fprintf(stderr, "bench_pipeline_text: BYTES: '%s' is not a number\n", argv[2]);
    return 2;
  }
  random_words random;
  std::string chunk;
  unsigned long long written = 0;
  while (written < wanted) {
    chunk.clear();
    while (chunk.size() < (1U << 20)) {
      const std::size_t words = random.below(21);
      for (std::size_t i = 0; i < words; ++i) {
        if (i > 0) chunk += ' ';
        const bool other = mixed && random.below(2) == 0;
        chunk += other ? other_words[random.below(other_words.size())]
                       : ascii_words[random.below(ascii_words.size())];
      }
      chunk += '\n';
    }
    std::size_t n = chunk.size();
    if (n >= wanted - written) {
      // The last chunk: whole lines, then ASCII filler, so that the file is exactly BYTES and valid UTF-8.
      n = static_cast<std::size_t>(wanted - written);
      const std::size_t whole =
          chunk.rfind('\n', n - 1) == std::string::npos ? 0 : chunk.rfind('\n', n - 1) + 1;
      for (std::size_t i = whole; i < n; ++i) chunk[i] = i + 1 == n ? '\n' : 'z';
    }
    std::size_t done = 0;
    while (done < n) {
      const ssize_t w = write(STDOUT_FILENO, chunk.data() + done, n - done);
      if (w <= 0) {
        std::perror("bench_pipeline_text: write");
        return 1;
      }
      done += static_cast<std::size_t>(w);
    }
    written += n;
  }
  return 0;
}
