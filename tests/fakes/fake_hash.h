// Deterministic hashing for the fake servers: every "random" choice (ids, titles, dates, state,
// injected faults) is a pure function of a seed and an index, so one --catalog seed gives the same
// library on every fake, run after run, whatever the order of requests.
#pragma once

#include <cstdint>
#include <string_view>

namespace ws::fake {

// splitmix64 finaliser: cheap, well mixed, good enough for test data (not for security).
constexpr uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr uint64_t hash2(uint64_t a, uint64_t b) { return mix64(a ^ mix64(b + 0x632be59bd9b4e019ULL)); }
constexpr uint64_t hash3(uint64_t a, uint64_t b, uint64_t c) { return hash2(hash2(a, b), c); }

// FNV-1a, to turn a string (server id, salt) into a seed.
constexpr uint64_t hash_str(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

// Uniform in [0, 1).
constexpr double unit(uint64_t h) { return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0); }

}  // namespace ws::fake
