// state:restore of a large backup, in a test binary of its own: its code must run as the product
// is built (optimized), not as test code is (this file shares no template with the CLI's JSON
// code, so the linker keeps the library's optimized copies).
#include <catch2/catch.hpp>

#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli_testutil.h"
#include "ws/store.h"

// mallinfo2 reads zero under AddressSanitizer (its allocator replaces malloc's).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WS_TEST_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define WS_TEST_UNDER_ASAN 1
#endif

using ws::testing::DataDir;
using ws::testing::run;

namespace {

size_t heap_in_use() {
  const struct mallinfo2 m = ::mallinfo2();
  return m.uordblks + m.hblkhd;
}

// The largest heap seen while it lives, sampled every 5 ms on a thread of its own (glibc
// keeps no peak). Whole-file buffers and big transactions live far longer than a sample.
class HeapPeak {
 public:
  HeapPeak() : peak_(heap_in_use()), sampler_([this] {
      while (!stop_.load()) {
        size_t now = heap_in_use();
        if (now > peak_.load()) peak_.store(now);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a sampling period, not a wait
      }
    }) {}
  ~HeapPeak() { stop(); }
  size_t stop() {
    stop_.store(true);
    if (sampler_.joinable()) sampler_.join();
    return peak_.load();
  }

 private:
  std::atomic<size_t> peak_;
  std::atomic<bool> stop_{false};
  std::thread sampler_;
};

// A backup of `count` episodes seen on two servers, the size real ones have (about 500 bytes a
// record), written the way state:backup writes it.
void write_big_backup(const std::filesystem::path& file, int count) {
  std::FILE* out = std::fopen(file.c_str(), "w");
  REQUIRE(out);
  std::fputs("{\"format\":\"watchstate-backup\",\"version\":1,\"created_at\":1700000000,\"records\":[\n", out);
  for (int id = 1; id <= count; ++id) {
    const int series = id / 60, season = id / 12 % 5 + 1, number = id % 12 + 1;
    const char* watched = id % 3 == 0 ? "true" : "false";
    std::fprintf(out,
                 "%s{\"id\":%d,\"type\":\"episode\",\"watched\":%s,\"updated\":%d,\"via\":\"my_plex\","
                 "\"title\":\"Series number %d\",\"season\":%d,\"episode\":%d,"
                 "\"guids\":{\"imdb\":\"tt%d\",\"tvdb\":\"%d\"},\"parent\":{\"tvdb\":\"%d\"},"
                 "\"metadata\":{\"my_plex\":{\"item_id\":\"%d\",\"series_id\":\"%d\",\"library_id\":\"2\","
                 "\"watched\":%s,\"played_at\":%d,\"added_at\":1600000000},"
                 "\"my_jellyfin\":{\"item_id\":\"%032x\",\"series_id\":\"%032x\",\"library_id\":"
                 "\"f137a2dd21bbc1b99aa5c0f6bf02a805\",\"watched\":%s,\"played_at\":%d,\"added_at\":1600000000}},"
                 "\"created_at\":1650000000,\"updated_at\":%d}",
                 id == 1 ? "" : ",\n", id, watched, 1700000000 + id, series, season, number, 1000000 + id,
                 7000000 + id, 300000 + series, 500000 + id, 900000 + series, watched, 1700000000 + id,
                 0x5000000 + id, 0x6000000 + series, watched, 1700000000 + id, 1700000000 + id);
  }
  std::fputs("\n]}\n", out);
  REQUIRE(std::fclose(out) == 0);
}

}  // namespace

TEST_CASE("a 100,000-record backup restores with the file never held whole in memory", "[cli][backup][memory]") {
#ifdef WS_TEST_UNDER_ASAN
  WARN("skipped under AddressSanitizer: mallinfo2 reads zero there");
  return;
#endif
  constexpr int kRecords = 100'000;
  constexpr size_t kHeapLimit = size_t(32) << 20;
  DataDir dir;
  const auto file = dir.path / "big.json";
  write_big_backup(file, kRecords);
  const auto file_bytes = std::filesystem::file_size(file);
  // Larger than the limit: a restore that read the file whole could not pass.
  REQUIRE(file_bytes > kHeapLimit + (size_t(8) << 20));

  const size_t before = heap_in_use();
  HeapPeak peak;
  auto restored = run({"state:restore", file.string()});
  const size_t highest = peak.stop();
  INFO("backup " << file_bytes / 1024 << " KiB; heap before " << before / 1024 << " KiB, peak " << highest / 1024
                 << " KiB");
  REQUIRE(restored.code == 0);
  CHECK_THAT(restored.out, Catch::Contains("restored 100000 records"));
  CHECK(highest - before < kHeapLimit);

  auto store = ws::Store::open({dir.path / "db", true});
  REQUIRE(store.ok());
  CHECK((*store)->stats().records == kRecords);
  auto last = (*store)->get(kRecords);
  REQUIRE(last);
  CHECK(last->metadata.at("my_jellyfin").watched == (kRecords % 3 == 0));
  CHECK((*store)->find_by_guid("tvdb", std::to_string(7000000 + 4242)).at(0).id == 4242);
}
