// Compacting a sparse store into a new, dense file: every database's content stays the same key by
// key, a crash at any step leaves a whole store, and nothing happens while someone else uses it.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <lmdb++.h>

#include "store_testutil.h"
#include "ws/store.h"
#include "ws/store_compaction.h"

using namespace ws;
using namespace ws::testutil;

namespace {

// Every named database of the store, entry by entry (opened raw, so nothing is added).
using Dump = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;

Dump dump(const std::filesystem::path& db) {
  Dump out;
  auto env = lmdb::env::create();
  env.set_max_dbs(16);
  env.open(db.c_str(), MDB_RDONLY | MDB_NOTLS, 0600);
  auto txn = lmdb::txn::begin(env.handle(), nullptr, MDB_RDONLY);
  auto main = lmdb::dbi::open(txn, nullptr);
  std::vector<std::string> names;
  {
    auto cursor = lmdb::cursor::open(txn, main);
    std::string key, value;
    for (bool more = cursor.get(key, value, MDB_FIRST); more; more = cursor.get(key, value, MDB_NEXT)) {
      names.push_back(key);
    }
  }
  for (const auto& name : names) {
    auto dbi = lmdb::dbi::open(txn, name.c_str());
    auto cursor = lmdb::cursor::open(txn, dbi);
    auto& entries = out[name];
    std::string key, value;
    for (bool more = cursor.get(key, value, MDB_FIRST); more; more = cursor.get(key, value, MDB_NEXT)) {
      entries.emplace_back(key, value);
    }
  }
  return out;
}

std::string hex32(uint64_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 31; i >= 0 && n; --i, n /= 16) out[static_cast<size_t>(i)] = digits[n % 16];
  return out;
}

// A store grown the way imports grow it: records put one server at a time, each later server's
// metadata making them bigger, keys in no order — pages left half full.
void seed_sparse(const std::filesystem::path& db, int records) {
  auto store = open_writer(db);
  std::vector<Record> put;
  {
    auto batch = store->begin_write();
    for (int i = 0; i < records; ++i) {
      const int scrambled = (i * 7919) % records;
      auto r = movie("tt" + std::to_string(1000000 + scrambled), "plex", std::to_string(50000 + scrambled));
      batch.put(r);
      put.push_back(r);
    }
    batch.outbox_put("job-1", "pending");
    batch.set_last_sync("plex", SyncDirection::import, 1700000000);
    batch.unmatched_put("plex", "x", "no ids", item_from("plex", "x", MediaType::movie));
    REQUIRE(batch.commit().ok());
  }
  for (const char* server : {"jf1", "jf2"}) {
    auto batch = store->begin_write();
    for (size_t i = 0; i < put.size(); ++i) {
      auto& meta = put[i].metadata[server];
      meta.item_id = hex32(0x9e3779b97f4a7c15ull * (i + 1) + (server[2] == '1' ? 1 : 2));
      meta.library_id = hex32(42);
      meta.played_at = 1700000000 + static_cast<int64_t>(i);
      batch.put(put[i]);
    }
    REQUIRE(batch.commit().ok());
  }
}

StoreCompactionOptions compaction_options(const std::filesystem::path& db) {
  StoreCompactionOptions o;
  o.dir = db;
  o.map_size = size_t(1) << 30;
  o.min_bytes = 0;
  o.min_gain = 0.1;
  o.reader_wait = std::chrono::milliseconds(300);
  return o;
}

}  // namespace

TEST_CASE("a compaction rewrites a sparse store smaller with every database the same key by key",
          "[store][compact]") {
  TempDir tmp;
  seed_sparse(tmp.db(), 3000);
  const Dump before = dump(tmp.db());
  REQUIRE(before.at("state").size() == 3000);
  REQUIRE(before.at("outbox").size() == 1);

  auto done = compact_store_if_sparse(compaction_options(tmp.db()));
  REQUIRE(done.ok());
  INFO(done->skipped);
  REQUIRE(done->compacted);
  CHECK(done->bytes_after < done->bytes_before * 3 / 4);
  // The estimate the decision rests on is close to what the copy took.
  CHECK(done->estimated_after >= done->bytes_after * 9 / 10);
  CHECK(done->estimated_after <= done->bytes_after * 11 / 10);
  CHECK(std::filesystem::file_size(tmp.db() / "data.mdb") == done->bytes_after);
  CHECK_FALSE(std::filesystem::exists(tmp.db() / "compact.tmp"));
  CHECK(dump(tmp.db()) == before);

  // The store works as before: read, found by its keys, written.
  auto store = open_writer(tmp.db());
  auto found = store->find(item_from("jf1", hex32(0x9e3779b97f4a7c15ull * 10 + 1), MediaType::movie));
  REQUIRE(found);
  CHECK(found->metadata.count("plex") == 1);
  Record added = movie("tt42", "plex", "42");
  CHECK(put_one(*store, added) == 3001);

  // Dense now: a second compaction finds nothing worth a copy.
  store.reset();
  auto again = compact_store_if_sparse(compaction_options(tmp.db()));
  REQUIRE(again.ok());
  CHECK_FALSE(again->compacted);
  CHECK_THAT(again->skipped, Catch::Contains("dense enough"));
}

TEST_CASE("a compaction leaves a small or dense store as it is", "[store][compact]") {
  TempDir tmp;
  seed_sparse(tmp.db(), 200);
  const Dump before = dump(tmp.db());
  auto options = compaction_options(tmp.db());
  options.min_bytes = uint64_t(4) << 20;
  auto done = compact_store_if_sparse(options);
  REQUIRE(done.ok());
  CHECK_FALSE(done->compacted);
  CHECK(done->bytes_after == done->bytes_before);
  CHECK(dump(tmp.db()) == before);

  TempDir none;
  auto nothing = compact_store_if_sparse(compaction_options(none.db()));
  REQUIRE(nothing.ok());
  CHECK(nothing->skipped == "no store");
  CHECK_FALSE(std::filesystem::exists(none.db() / "data.mdb"));
}

TEST_CASE("a compaction waits for nobody: a store in use stays as it is", "[store][compact]") {
  TempDir tmp;
  seed_sparse(tmp.db(), 3000);
  const Dump before = dump(tmp.db());

  SECTION("open in this process") {
    auto reader = Store::open(reader_options(tmp.db()));
    REQUIRE(reader.ok());
    auto done = compact_store_if_sparse(compaction_options(tmp.db()));
    REQUIRE(done.ok());
    CHECK_FALSE(done->compacted);
    CHECK(done->skipped == "open in this process");
  }
  SECTION("written by another process") {
    HolderProcess writer(tmp.db(), true);
    REQUIRE(writer.opened());
    auto done = compact_store_if_sparse(compaction_options(tmp.db()));
    REQUIRE(done.ok());
    CHECK_FALSE(done->compacted);
    CHECK_THAT(done->skipped, Catch::Contains("a writer holds it"));
  }
  SECTION("read by another process: the copy is made, the swap given up") {
    HolderProcess reader(tmp.db(), false);
    REQUIRE(reader.opened());
    auto done = compact_store_if_sparse(compaction_options(tmp.db()));
    REQUIRE(done.ok());
    CHECK_FALSE(done->compacted);
    CHECK(done->skipped == "another process has it open");
    CHECK_FALSE(std::filesystem::exists(tmp.db() / "compact.tmp"));
    reader.release();
    // Once it has gone, the compaction happens.
    auto later = compact_store_if_sparse(compaction_options(tmp.db()));
    REQUIRE(later.ok());
    CHECK(later->compacted);
  }
  CHECK(dump(tmp.db()) == before);
}

TEST_CASE("a compaction ended by a crash at any step leaves a whole store", "[store][compact]") {
  for (const char* step : {"built", "renamed"}) {
    DYNAMIC_SECTION("crash once " << step) {
      TempDir tmp;
      seed_sparse(tmp.db(), 3000);
      const Dump before = dump(tmp.db());
      int rc = run_in_child([&] {
        auto options = compaction_options(tmp.db());
        options.on_step = [&](std::string_view at) {
          if (at == step) ::_exit(7);
        };
        auto done = compact_store_if_sparse(options);
        return done.ok() ? 0 : 1;
      });
      REQUIRE(rc == 7);
      // Whatever the crash left, a reader in another process and this one see the same content.
      CHECK(run_in_child([&] { return dump(tmp.db()) == before ? 0 : 1; }) == 0);
      CHECK(dump(tmp.db()) == before);
      {
        auto store = open_writer(tmp.db());
        CHECK(store->get(1).has_value());
      }
      // The next compaction cleans up after the crash (and compacts, when the crash came first).
      auto done = compact_store_if_sparse(compaction_options(tmp.db()));
      REQUIRE(done.ok());
      CHECK(done->compacted == (std::string_view(step) == "built"));
      CHECK_FALSE(std::filesystem::exists(tmp.db() / "compact.tmp"));
      CHECK(dump(tmp.db()) == before);
    }
  }
}

TEST_CASE("a writer's store compacts in place and goes on reading and writing", "[store][compact]") {
  TempDir tmp;
  seed_sparse(tmp.db(), 3000);
  const Dump before = dump(tmp.db());
  const auto size = std::filesystem::file_size(tmp.db() / "data.mdb");
  auto store = open_writer(tmp.db());
  auto options = compaction_options(tmp.db());

  SECTION("alone in the process: compacted, the writer lock kept") {
    auto done = store->compact(options);
    REQUIRE(done.ok());
    INFO(done->skipped);
    CHECK(done->compacted);
    CHECK(std::filesystem::file_size(tmp.db() / "data.mdb") < size * 3 / 4);
    CHECK(store->failure() == nullptr);
    CHECK(store->get(3000).has_value());
    // Still this process's to write: another writer is refused.
    HolderProcess other(tmp.db(), true);
    CHECK_FALSE(other.opened());
    other.release();
    Record added = movie("tt42", "plex", "42");
    CHECK(put_one(*store, added) == 3001);
    store.reset();
    Dump after = dump(tmp.db());
    CHECK(after.at("state").size() == 3001);
    after.at("state").pop_back();
    CHECK(after.at("state") == before.at("state"));
  }
  SECTION("shared with a reader in the process: left as it is") {
    auto reader = Store::open(reader_options(tmp.db()));
    REQUIRE(reader.ok());
    auto done = store->compact(options);
    REQUIRE(done.ok());
    CHECK_FALSE(done->compacted);
    CHECK(done->skipped == "open in this process");
    CHECK((*reader)->get(1).has_value());
    reader->reset();
    store.reset();
    CHECK(std::filesystem::file_size(tmp.db() / "data.mdb") == size);
    CHECK(dump(tmp.db()) == before);
  }
  SECTION("smaller than the least gain: left open and as it is") {
    options.min_bytes = size + 1;
    auto done = store->compact(options);
    REQUIRE(done.ok());
    CHECK_FALSE(done->compacted);
    CHECK(done->skipped == "smaller than the least gain worth a copy");
    CHECK(store->get(1).has_value());
    store.reset();
    CHECK(dump(tmp.db()) == before);
  }
  SECTION("during a write batch: refused") {
    auto batch = store->begin_write();
    auto done = store->compact(options);
    REQUIRE_FALSE(done.ok());
    CHECK_THAT(done.error().message, Catch::Contains("during a write batch"));
  }
}
