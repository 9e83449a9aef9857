// One writer per store (STYLE 9): the writer lock, and read-only opens beside a writer.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store_testutil.h"
#include "ws/store.h"

using namespace ws;
using namespace ws::testutil;

TEST_CASE("a second writer in the same process is refused", "[store][lock]") {
  TempDir tmp;
  auto first = open_writer(tmp.db());
  auto second = Store::open(writer_options(tmp.db()));
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().kind == ErrorKind::unavailable);
  CHECK_THAT(second.error().message, Catch::Contains("is already open for writing"));
  CHECK_THAT(second.error().message, Catch::Contains("pid " + std::to_string(::getpid())));
  CHECK_THAT(second.error().message, Catch::Contains(tmp.db().string()));

  SECTION("the first writer is undisturbed") {
    auto r = movie("tt1");
    auto batch = first->begin_write();
    batch.put(r);
    CHECK(batch.commit().ok());
    CHECK(first->get(r.id));
  }
  SECTION("once the first closes, a new writer opens") {
    first.reset();
    CHECK(Store::open(writer_options(tmp.db())).ok());
  }
}

TEST_CASE("a second writer in another process is refused with the holder's pid", "[store][lock]") {
  TempDir tmp;
  auto writer = open_writer(tmp.db());
  const std::string parent_pid = std::to_string(::getpid());
  int rc = run_in_child([&] {
    auto second = Store::open(writer_options(tmp.db()));
    if (second.ok()) return 1;
    const auto& message = second.error().message;
    if (message.find("is already open for writing by another process") == std::string::npos) return 2;
    if (message.find("(pid " + parent_pid + ")") == std::string::npos) return 3;
    return 0;
  });
  CHECK(rc == 0);

  SECTION("after the writer closes, another process may write") {
    writer.reset();
    int after = run_in_child([&] {
      auto store = Store::open(writer_options(tmp.db()));
      if (!store.ok()) return 1;
      auto batch = (*store)->begin_write();
      auto r = movie("tt42");
      batch.put(r);
      return batch.commit().ok() ? 0 : 2;
    });
    CHECK(after == 0);
    auto reader = Store::open(reader_options(tmp.db()));
    REQUIRE(reader.ok());
    CHECK((*reader)->stats().records == 1);
  }
}

TEST_CASE("read-only opens take no lock and see what the writer committed", "[store][lock]") {
  TempDir tmp;
  auto writer = open_writer(tmp.db());
  auto r = movie("tt0111161", "plex", "7");
  {
    auto batch = writer->begin_write();
    batch.put(r);
    REQUIRE(batch.commit().ok());
  }

  SECTION("in the same process, beside the writer") {
    auto reader = Store::open(reader_options(tmp.db()));
    REQUIRE(reader.ok());
    CHECK((*reader)->get(r.id));
    // A later commit is visible to the next read; an uncommitted one is not.
    auto batch = writer->begin_write();
    auto s = movie("tt0068646");
    batch.put(s);
    CHECK_FALSE((*reader)->get(s.id));
    REQUIRE(batch.commit().ok());
    CHECK((*reader)->get(s.id));
    // Two readers at once are fine, and the reader cannot write.
    auto reader2 = Store::open(reader_options(tmp.db()));
    REQUIRE(reader2.ok());
    auto refused = (*reader)->begin_write();
    CHECK_FALSE(refused.commit().ok());
    CHECK((*reader2)->stats().records == 2);
  }
  SECTION("from another process, while the writer holds its lock") {
    int rc = run_in_child([&] {
      auto reader = Store::open(reader_options(tmp.db()));
      if (!reader.ok()) return 1;
      auto found = (*reader)->find(item_from("plex", "7", MediaType::movie));
      if (!found) return 2;
      return found->guids.at("imdb") == "tt0111161" ? 0 : 3;
    });
    CHECK(rc == 0);
  }
}

TEST_CASE("a read-only open of a folder without a store is refused", "[store][lock]") {
  TempDir tmp;
  auto reader = Store::open(reader_options(tmp.path() / "nothing-here"));
  REQUIRE_FALSE(reader.ok());
  CHECK(reader.error().kind == ErrorKind::not_found);
  CHECK_THAT(reader.error().message, Catch::Contains("nothing-here"));
  CHECK_FALSE(std::filesystem::exists(tmp.path() / "nothing-here"));  // and creates nothing
}

TEST_CASE("a writer cannot open a store this process holds read-only", "[store][lock]") {
  TempDir tmp;
  { open_writer(tmp.db()); }
  auto reader = Store::open(reader_options(tmp.db()));
  REQUIRE(reader.ok());
  auto writer = Store::open(writer_options(tmp.db()));
  REQUIRE_FALSE(writer.ok());
  CHECK_THAT(writer.error().message, Catch::Contains("read-only in this process"));
  reader->reset();
  CHECK(Store::open(writer_options(tmp.db())).ok());
}

TEST_CASE("a reader on another thread sees the writer's commits as they land", "[store][lock]") {
  TempDir tmp;
  auto writer = open_writer(tmp.db());
  auto reader = Store::open(reader_options(tmp.db()));
  REQUIRE(reader.ok());
  constexpr int kBatches = 20;
  constexpr int kPerBatch = 50;
  std::atomic<bool> write_failed{false};
  std::thread writing([&] {
    for (int b = 0; b < kBatches; ++b) {
      auto batch = writer->begin_write();
      for (int i = 0; i < kPerBatch; ++i) {
        auto r = movie("tt" + std::to_string(b * kPerBatch + i + 1));
        batch.put(r);
      }
      if (!batch.commit().ok()) write_failed = true;
    }
  });
  // Counts only ever grow by whole batches, until all are there (or the deadline passes).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  uint64_t seen = 0;
  bool whole_batches = true;
  bool monotonic = true;
  while (seen < kBatches * kPerBatch && std::chrono::steady_clock::now() < deadline) {
    uint64_t count = 0;
    (*reader)->for_each([&](const Record&) {
      ++count;
      return true;
    });
    whole_batches = whole_batches && count % kPerBatch == 0;
    monotonic = monotonic && count >= seen;
    seen = count;
  }
  writing.join();
  CHECK_FALSE(write_failed);
  CHECK(seen == kBatches * kPerBatch);
  CHECK(whole_batches);
  CHECK(monotonic);
}
