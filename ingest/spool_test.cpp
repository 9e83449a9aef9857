// The durable spool: what is appended survives a reopen, acks and failures land, the bound holds,
// and one folder has one owner.
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include <lmdb++.h>

#include "ingest_testutil.h"
#include "ws/spool.h"

using namespace ws;
using ws::testing::TempDir;

namespace {

SpoolRecord record(const std::string& server, int n) {
  SpoolRecord r;
  r.server = server;
  r.received_at = 1'760'000'000 + n;
  r.accepted_ms = 1'760'000'000'000 + n;
  r.event = {{"event_id", "e" + std::to_string(n)}, {"kind", "progress"}};
  return r;
}

}  // namespace

TEST_CASE("appended events survive closing and reopening the spool, in order", "[ingest][spool]") {
  TempDir dir;
  std::vector<uint64_t> ids;
  {
    auto spool = Spool::open(dir.path);
    REQUIRE(spool);
    for (int i = 0; i < 3; ++i) {
      auto id = (*spool)->append(record("my_plex", i));
      REQUIRE(id);
      ids.push_back(*id);
    }
    CHECK((*spool)->depth() == 3);
    CHECK(ids[0] < ids[1]);
    CHECK(ids[1] < ids[2]);
  }
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  CHECK((*spool)->depth() == 3);
  auto pending = (*spool)->pending(0, 10);
  REQUIRE(pending);
  REQUIRE(pending->size() == 3);
  CHECK(pending->at(0).id == ids[0]);
  CHECK(pending->at(2).record.event["event_id"] == "e2");
  CHECK(pending->at(1).record.server == "my_plex");
  CHECK(pending->at(1).record.received_at == 1'760'000'001);
  CHECK(pending->at(1).record.accepted_ms == 1'760'000'000'001);

  SECTION("acks remove, refusals count, failures move, and ids are never reused") {
    (*spool)->remove(ids[0]);
    (*spool)->record_refusal(ids[1], 2, "fetch failed");
    (*spool)->move_to_failed(ids[2], 10, "gave up");
    (*spool)->flush();
    CHECK((*spool)->depth() == 1);
    CHECK((*spool)->failed_count() == 1);
    auto one = (*spool)->get(ids[1]);
    REQUIRE(one);
    REQUIRE(*one);
    CHECK((*one)->record.attempts == 2);
    CHECK((*one)->record.last_error == "fetch failed");
    auto gone = (*spool)->get(ids[0]);
    REQUIRE(gone);
    CHECK_FALSE(*gone);
    auto failed = (*spool)->failed(10);
    REQUIRE(failed);
    REQUIRE(failed->size() == 1);
    CHECK(failed->at(0).id == ids[2]);
    CHECK(failed->at(0).record.last_error == "gave up");
    (*spool)->remove(ids[1]);
    (*spool)->flush();
    CHECK((*spool)->depth() == 0);
  }
}

TEST_CASE("spool ids keep growing after every event was acked and the spool reopened", "[ingest][spool]") {
  TempDir dir;
  uint64_t last = 0;
  {
    auto spool = Spool::open(dir.path);
    REQUIRE(spool);
    last = (*spool)->append(record("s", 1)).value();
    (*spool)->remove(last);
    (*spool)->flush();
    CHECK((*spool)->depth() == 0);
  }
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  auto next = (*spool)->append(record("s", 2));
  REQUIRE(next);
  CHECK(*next > last);
}

TEST_CASE("a full spool refuses new events and keeps every accepted one", "[ingest][spool]") {
  TempDir dir;
  SpoolOptions options;
  options.max_events = 3;
  auto spool = Spool::open(dir.path, options);
  REQUIRE(spool);
  for (int i = 0; i < 3; ++i) REQUIRE((*spool)->append(record("s", i)));
  auto refused = (*spool)->append(record("s", 3));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::unavailable);
  CHECK_THAT(refused.error().message, Catch::Contains("webhook.spool_max"));
  CHECK((*spool)->depth() == 3);
  CHECK((*spool)->writable());
  auto first = (*spool)->pending(0, 1);
  (*spool)->remove(first->front().id);
  (*spool)->flush();
  CHECK((*spool)->append(record("s", 4)));
}

TEST_CASE("many threads appending at once share commits and lose nothing", "[ingest][spool]") {
  TempDir dir;
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> ids(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto id = (*spool)->append(record("s" + std::to_string(t), i));
        if (id) ids[t].push_back(*id);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> all;
  for (const auto& list : ids) {
    CHECK(list.size() == size_t(kEach));
    all.insert(list.begin(), list.end());
  }
  CHECK(all.size() == size_t(kThreads * kEach));
  CHECK((*spool)->depth() == size_t(kThreads * kEach));
  auto pending = (*spool)->pending(0, 1000);
  REQUIRE(pending);
  CHECK(pending->size() == size_t(kThreads * kEach));
}

TEST_CASE("one spool folder has one owner; read_spool_stats reads it without taking it", "[ingest][spool]") {
  TempDir dir;
  CHECK(read_spool_stats(dir.path / "nothing").error().kind == ErrorKind::not_found);
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  auto second = Spool::open(dir.path);
  REQUIRE_FALSE(second);
  CHECK(second.error().kind == ErrorKind::unavailable);
  CHECK_THAT(second.error().message, Catch::Contains("in use by another ingest") && Catch::Contains("pid"));

  auto a = (*spool)->append(record("s", 1));
  auto b = (*spool)->append(record("s", 2));
  (*spool)->move_to_failed(*b, 3, "no");
  (*spool)->flush();
  auto stats = read_spool_stats(dir.path);
  REQUIRE(stats);
  CHECK(stats->pending == 1);
  CHECK(stats->failed == 1);
  CHECK(stats->oldest_pending_at == 1'760'000'001);
  CHECK(stats->file_bytes > 0);
  (void)a;
}

TEST_CASE("a folder holding another LMDB environment is refused", "[ingest][spool]") {
  TempDir dir;
  {
    lmdb::env env = lmdb::env::create();
    env.open(dir.path.c_str(), 0, 0600);
    auto txn = lmdb::txn::begin(env);
    auto dbi = lmdb::dbi::open(txn, nullptr);
    dbi.put(txn, "foreign", "data");
    txn.commit();
  }
  auto spool = Spool::open(dir.path);
  REQUIRE_FALSE(spool);
  CHECK_THAT(spool.error().message, Catch::Contains("not an ingest spool"));
}
