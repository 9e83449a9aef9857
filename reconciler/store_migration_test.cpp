#include <catch2/catch.hpp>

#include <algorithm>

#include <lmdb++.h>
#include <nlohmann/json.hpp>

#include "store_testutil.h"
#include "ws/match_keys.h"
#include "ws/store.h"

using namespace ws;
using namespace ws::testutil;

namespace {

std::string be64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, value >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(value & 0xff);
  return out;
}

// A record as schema version 1 stored it: layout 1, the MessagePack of its JSON form, each server
// with its path and titles.
std::string layout1(const Record& r) {
  nlohmann::json j = r;
  for (auto& [server, meta] : j["metadata"].items()) {
    meta["path"] = "/media/" + server + "/" + r.title + ".mkv";
    meta["title"] = r.title + " on " + server;
    meta["episode_title"] = "Pilot";
  }
  std::string out(1, '\x01');
  nlohmann::json::to_msgpack(j, nlohmann::detail::output_adapter<char>(out));
  return out;
}

// Writes a store exactly as schema version 1 did: the records, their match keys as text in
// `pointers` and their backend keys in `backend_ids` (first record to claim a key keeps it).
void write_v1_store(const std::filesystem::path& dir, const std::vector<Record>& records) {
  std::filesystem::create_directories(dir);
  auto env = lmdb::env::create();
  env.set_max_dbs(12);
  env.open(dir.c_str(), 0, 0600);
  auto txn = lmdb::txn::begin(env);
  auto meta = lmdb::dbi::open(txn, "meta", MDB_CREATE);
  auto state = lmdb::dbi::open(txn, "state", MDB_CREATE);
  auto pointers = lmdb::dbi::open(txn, "pointers", MDB_CREATE);
  auto backend_ids = lmdb::dbi::open(txn, "backend_ids", MDB_CREATE);
  auto changes = lmdb::dbi::open(txn, "changes", MDB_CREATE);
  for (const char* name : {"outbox", "unmatched"}) lmdb::dbi::open(txn, name, MDB_CREATE);
  auto put = [&](lmdb::dbi& dbi, const std::string& key, const std::string& value, unsigned flags = 0) {
    lmdb::val k(key), v(value);
    dbi.put(txn, k, v, flags);
  };
  put(meta, "schema_version", "1");
  put(meta, "next_id", std::to_string(records.size() + 1));
  put(meta, "last_sync/import/my_plex", "1700000000");
  for (const auto& r : records) {
    put(state, be64(r.id), layout1(r));
    for (const auto& key : match_keys(r)) put(pointers, key, be64(r.id), MDB_NOOVERWRITE);
    for (const auto& key : backend_keys(r)) put(backend_ids, key, be64(r.id), MDB_NOOVERWRITE);
    put(changes, be64(static_cast<uint64_t>(r.updated_at) ^ (uint64_t(1) << 63)) + be64(r.id), "");
  }
  txn.commit();
}

std::vector<Record> v1_records() {
  Record heat = movie("tt0113277", "my_plex", "101");
  heat.id = 1;
  heat.watched = true;
  heat.updated = 1690000000;
  heat.metadata["my_jelly"].item_id = "0123456789abcdef0123456789abcdef";
  heat.metadata["my_jelly"].library_id = "fedcba9876543210fedcba9876543210";
  heat.metadata["my_jelly"].watched = true;
  heat.metadata["my_jelly"].played_at = 1690000000;
  heat.created_at = 1680000000;
  heat.updated_at = 1690000100;
  // Shares heat's imdb id: schema 1 left the key with heat (first come), and so must schema 2.
  Record twin = movie("tt0113277", "my_emby", "55");
  twin.id = 2;
  twin.guids["tmdb"] = "949";
  twin.updated_at = 1690000200;
  Record part1 = episode("81189", 1, 1);
  part1.id = 3;
  part1.metadata["my_plex"].item_id = "300";
  part1.metadata["my_plex"].episode_end = 2;
  part1.updated_at = 1690000300;
  Record part2 = part1;
  part2.id = 4;
  part2.episode = 2;
  part2.updated_at = 1690000400;
  return {heat, twin, part1, part2};
}

}  // namespace

TEST_CASE("a store of schema version 1 is migrated at a writer's open, every record and key kept", "[store]") {
  TempDir tmp;
  const auto records = v1_records();
  write_v1_store(tmp.db(), records);

  // A reader does not migrate: it refuses, naming the folder and what to run.
  auto reader = Store::open(reader_options(tmp.db()));
  REQUIRE_FALSE(reader.ok());
  CHECK_THAT(reader.error().message, Catch::Contains(tmp.db().string()));
  CHECK_THAT(reader.error().message, Catch::Contains("schema version 1"));
  CHECK_THAT(reader.error().message, Catch::Contains("watchstate state:import"));

  auto store = open_writer(tmp.db());
  const StoreStats stats = store->stats();
  CHECK(stats.schema_version == 2);
  CHECK(stats.records == 4);
  CHECK(stats.backend_ids == 5);  // my_plex/101, my_jelly/…, my_emby/55, my_plex/300/E1, my_plex/300/E2
  CHECK(stats.last_sync.at("my_plex").import == 1700000000);

  for (const auto& r : records) {
    auto got = store->get(r.id);
    REQUIRE(got);
    CHECK(*got == r);  // the servers' paths and titles are gone; everything else is as it was
  }
  // Backend keys resolve as before, multi-episode parts included.
  CHECK(store->find(item_from("my_jelly", "0123456789abcdef0123456789abcdef", MediaType::movie))->id == 1);
  CHECK(store->find(item_from("my_emby", "55", MediaType::movie))->id == 2);
  auto parts = store->records_of_item("my_plex", "300");
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].id == 3);
  CHECK(parts[1].id == 4);
  // The shared imdb key stayed with its first owner; the twin's own tmdb key is still its own.
  MediaItem by_imdb = item_from("other", "9", MediaType::movie);
  by_imdb.guids["imdb"] = "tt0113277";
  CHECK(store->find(by_imdb)->id == 1);
  MediaItem by_tmdb = item_from("other", "9", MediaType::movie);
  by_tmdb.guids["tmdb"] = "949";
  CHECK(store->find(by_tmdb)->id == 2);
  MediaItem relative = item_from("other", "9", MediaType::episode);
  relative.parent["tvdb"] = "81189";
  relative.season = 1;
  relative.episode = 2;
  CHECK(store->find(relative)->id == 4);
  // Push mode's index is untouched.
  std::vector<uint64_t> changed;
  store->for_each_changed_since(1690000150, [&](const Record& r) { return changed.push_back(r.id), true; });
  CHECK(changed == std::vector<uint64_t>{2, 3, 4});
  // New records take ids after the migrated ones, and the migrated store is an ordinary one.
  Record next = movie("tt0111161", "my_plex", "102");
  CHECK(put_one(*store, next) == 5);
  store.reset();
  {
    auto env = lmdb::env::create();
    env.set_max_dbs(12);
    env.open(tmp.db().c_str(), MDB_RDONLY, 0600);
    auto txn = lmdb::txn::begin(env, nullptr, MDB_RDONLY);
    MDB_dbi dbi = 0;
    CHECK(::mdb_dbi_open(txn, "backend_ids", 0, &dbi) == MDB_NOTFOUND);  // one index, not two
  }
  auto again = Store::open(reader_options(tmp.db()));
  REQUIRE(again.ok());
  CHECK((*again)->stats().records == 5);
}

TEST_CASE("backend keys keep their text through the one index, Jellyfin ids packed", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  const std::string hex = "0123456789abcdef0123456789abcdef";
  const std::string with_nul("a\0b", 3);
  Record jelly = movie("tt0000001", "my_jelly", hex);
  Record odd = movie("tt0000002", "my_jelly", with_nul);
  Record control = movie("tt0000003", "\x01odd", hex);
  Record part1 = episode("81189", 1, 1);
  part1.metadata["my_jelly"].item_id = "fedcba9876543210fedcba9876543210";
  part1.metadata["my_jelly"].episode_end = 2;
  Record part2 = part1;
  part2.episode = 2;
  for (Record* r : {&jelly, &odd, &control, &part1, &part2}) put_one(*store, *r);

  std::vector<std::string> keys;
  store->for_each_backend_key("my_jelly", [&](std::string_view key, uint64_t) {
    keys.emplace_back(key);
    return true;
  });
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> expected = {"my_jelly/" + hex, "my_jelly/" + with_nul,
                                       "my_jelly/fedcba9876543210fedcba9876543210/E1",
                                       "my_jelly/fedcba9876543210fedcba9876543210/E2"};
  std::sort(expected.begin(), expected.end());
  CHECK(keys == expected);
  keys.clear();
  store->for_each_backend_key("\x01odd", [&](std::string_view key, uint64_t) {
    keys.emplace_back(key);
    return true;
  });
  CHECK(keys == std::vector<std::string>{"\x01odd/" + hex});

  CHECK(store->find(item_from("my_jelly", hex, MediaType::movie))->id == jelly.id);
  CHECK(store->find(item_from("my_jelly", with_nul, MediaType::movie))->id == odd.id);
  CHECK(store->find(item_from("\x01odd", hex, MediaType::movie))->id == control.id);
  CHECK(store->records_of_item("my_jelly", "fedcba9876543210fedcba9876543210").size() == 2);
  const StoreStats stats = store->stats();
  CHECK(stats.backend_ids == 5);
  CHECK(stats.pointers == 3 + 1 + 1);  // three imdb keys, one relative key per part
}
