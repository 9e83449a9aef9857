#include <catch2/catch.hpp>

#include <lmdb++.h>

#include "store_ops.h"
#include "store_testutil.h"
#include "ws/store.h"
#include "ws/text.h"

using namespace ws;
using namespace ws::testutil;

namespace {

std::vector<uint64_t> changed_ids(const Store& store, int64_t since) {
  std::vector<uint64_t> ids;
  store.for_each_changed_since(since, [&](const Record& r) {
    ids.push_back(r.id);
    return true;
  });
  return ids;
}

}  // namespace

TEST_CASE("a new store is created with its schema version and opens again", "[store]") {
  TempDir tmp;
  {
    auto store = open_writer(tmp.db());
    CHECK(store->stats().schema_version == kStoreSchemaVersion);
    CHECK(store->stats().records == 0);
    CHECK(std::filesystem::exists(tmp.db() / "data.mdb"));
  }
  auto again = Store::open(writer_options(tmp.db()));
  REQUIRE(again.ok());
}

TEST_CASE("put assigns ids in order and get reads the record back", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  auto a = movie("tt0111161", "plex", "10");
  auto b = movie("tt0068646", "plex", "11");
  a.watched = true;
  a.updated = 1700000000;
  a.metadata["plex"].played_at = 1700000000;
  {
    auto batch = store->begin_write();
    CHECK(batch.put(a) == 1);
    CHECK(batch.put(b) == 2);
    REQUIRE(batch.commit().ok());
  }
  CHECK(a.created_at > 0);
  auto back = store->get(1);
  REQUIRE(back);
  CHECK(*back == a);
  CHECK(store->get(2)->title == b.title);
  CHECK_FALSE(store->get(3));

  SECTION("ids go on after a reopen") {
    store.reset();
    store = open_writer(tmp.db());
    auto c = movie("tt0071562");
    CHECK(put_one(*store, c) == 3);
  }
  SECTION("replacing a record keeps its id") {
    a.title = "Renamed";
    CHECK(put_one(*store, a) == 1);
    CHECK(store->get(1)->title == "Renamed");
    CHECK(store->stats().records == 2);
  }
}

TEST_CASE("a batch of 10,000 records is one commit and reads back", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  {
    auto batch = store->begin_write();
    for (int i = 0; i < 10'000; ++i) {
      auto r = movie("tt" + std::to_string(1'000'000 + i), "plex", std::to_string(i));
      r.updated_at = i;
      batch.put(r);
    }
    REQUIRE(batch.commit().ok());
  }
  uint64_t count = 0;
  uint64_t last_id = 0;
  bool ordered = true;
  store->for_each([&](const Record& r) {
    ordered = ordered && r.id > last_id;
    last_id = r.id;
    ++count;
    return true;
  });
  CHECK(count == 10'000);
  CHECK(ordered);
  auto item = item_from("plex", "4321", MediaType::movie);
  auto found = store->find(item);
  REQUIRE(found);
  CHECK(found->guids.at("imdb") == "tt1004321");
  CHECK(store->stats().pointers == 10'000);
  CHECK(store->stats().backend_ids == 10'000);
}

TEST_CASE("an aborted batch leaves nothing behind", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  {
    auto batch = store->begin_write();
    auto r = movie("tt0111161", "plex", "1");
    batch.put(r);
    batch.set_last_sync("plex", SyncDirection::import, 123);
    batch.outbox_put("job-1", "payload");
    CHECK(batch.find(item_from("plex", "1", MediaType::movie)));  // the batch sees its own write
  }  // destroyed without commit
  CHECK_FALSE(store->get(1));
  CHECK_FALSE(store->find(item_from("plex", "1", MediaType::movie)));
  CHECK(store->last_sync("plex", SyncDirection::import) == 0);
  CHECK(store->outbox().empty());
  auto stats = store->stats();
  CHECK(stats.records == 0);
  CHECK(stats.pointers == 0);
  // An abort is not a failure: the store still writes, and ids start over.
  auto r = movie("tt0068646");
  CHECK(put_one(*store, r) == 1);
}

TEST_CASE("find resolves by own server id, then relative keys, then guid keys", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());

  SECTION("a backend id beats a guid that points elsewhere") {
    auto by_guid = movie("tt0111161");
    auto by_backend = movie("", "plex", "55");
    put_one(*store, by_guid);
    put_one(*store, by_backend);
    auto item = item_from("plex", "55", MediaType::movie);
    item.guids["imdb"] = "tt0111161";
    auto found = store->find(item);
    REQUIRE(found);
    CHECK(found->id == by_backend.id);
    SECTION("the same item from another server resolves by its guid") {
      item.server = "jellyfin";
      CHECK(store->find(item)->id == by_guid.id);
    }
  }
  SECTION("a relative key beats a guid key") {
    auto by_relative = episode("81189", 1, 2);
    auto by_guid = episode("99999", 3, 3);
    by_guid.guids["tvdb"] = "349232";
    put_one(*store, by_relative);
    put_one(*store, by_guid);
    auto item = item_from("emby", "e1", MediaType::episode);
    item.parent["tvdb"] = "81189";
    item.season = 1;
    item.episode = 2;
    item.guids["tvdb"] = "349232";
    CHECK(store->find(item)->id == by_relative.id);
  }
  SECTION("an item with no keys and an unknown backend id matches nothing") {
    auto some = movie("tt0111161", "plex", "1");
    put_one(*store, some);
    CHECK_FALSE(store->find(item_from("plex", "2", MediaType::movie)));
    CHECK_FALSE(store->find(item_from("", "", MediaType::movie)));
    CHECK_FALSE(store->find(MediaItem{}));
  }
}

TEST_CASE("relative keys match an episode with no ids of its own", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  auto stored = episode("81189", 5, 14);
  stored.guids["tvdb"] = "4599381";
  stored.metadata["plex"].item_id = "700";
  put_one(*store, stored);

  auto item = item_from("jellyfin", "f00d", MediaType::episode);
  item.parent["tvdb"] = "81189";
  item.season = 5;
  item.episode = 14;
  auto found = store->find(item);
  REQUIRE(found);
  CHECK(found->id == stored.id);

  SECTION("another episode of the same series does not match") {
    item.episode = 15;
    CHECK_FALSE(store->find(item));
  }
  SECTION("a legacy Plex relative guid matches the same way") {
    auto legacy = item_from("plex2", "9", MediaType::episode);
    legacy.relative = RelativeGuid{"tvdb", "81189", 5, 14};
    CHECK(store->find(legacy)->id == stored.id);
  }
}

TEST_CASE("a movie and an episode with the same tmdb value do not collide", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  auto film = movie("");
  film.guids["tmdb"] = "1399";
  auto ep = episode("121361", 1, 1);
  ep.guids["tmdb"] = "1399";
  put_one(*store, film);
  put_one(*store, ep);
  CHECK(store->stats().pointer_conflicts == 0);

  auto movie_item = item_from("x", "", MediaType::movie);
  movie_item.guids["tmdb"] = "1399";
  auto episode_item = item_from("x", "", MediaType::episode);
  episode_item.guids["tmdb"] = "1399";
  CHECK(store->find(movie_item)->id == film.id);
  CHECK(store->find(episode_item)->id == ep.id);
  CHECK(store->find_by_guid("tmdb", "1399").size() == 2);
}

TEST_CASE("the store keeps one backend id per part of a multi-episode file", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  auto part1 = episode("81189", 1, 1);
  auto part2 = episode("81189", 1, 2);
  for (auto* part : {&part1, &part2}) {
    part->metadata["plex"].item_id = "300";
    part->metadata["plex"].episode_end = 2;
  }
  {
    auto batch = store->begin_write();
    batch.put(part1);
    batch.put(part2);
    REQUIRE(batch.commit().ok());
  }
  CHECK(store->stats().pointer_conflicts == 0);
  auto item = item_from("plex", "300", MediaType::episode);
  item.episode_end = 2;
  item.season = 1;
  item.episode = 1;
  CHECK(store->find(item)->id == part1.id);
  item.episode = 2;
  CHECK(store->find(item)->id == part2.id);
}

TEST_CASE("a match key owned by another record is not stolen, and the conflict is counted", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  auto first = movie("tt0111161", "plex", "1");
  auto second = movie("tt0111161", "plex", "1");
  second.title = "Second";
  put_one(*store, first);
  put_one(*store, second);
  CHECK(second.id != first.id);

  auto item = item_from("jellyfin", "j", MediaType::movie);
  item.guids["imdb"] = "tt0111161";
  CHECK(store->find(item)->id == first.id);
  CHECK(store->find(item_from("plex", "1", MediaType::movie))->id == first.id);
  CHECK(store->stats().pointer_conflicts == 2);  // the guid key and the backend id

  SECTION("writing the loser again does not count its conflicts twice") {
    put_one(*store, second);
    CHECK(store->stats().pointer_conflicts == 2);
  }
}

TEST_CASE("keys a record no longer has stop pointing at it", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  auto r = movie("tt0000001", "plex", "1");
  put_one(*store, r);
  r.guids["imdb"] = "tt0000002";
  r.metadata.erase("plex");
  r.metadata["emby"].item_id = "e";
  put_one(*store, r);

  auto old_guid = item_from("x", "", MediaType::movie);
  old_guid.guids["imdb"] = "tt0000001";
  CHECK_FALSE(store->find(old_guid));
  CHECK_FALSE(store->find(item_from("plex", "1", MediaType::movie)));
  CHECK(store->find(item_from("emby", "e", MediaType::movie))->id == r.id);
  CHECK(store->stats().pointers == 1);
  CHECK(store->stats().backend_ids == 1);
}

TEST_CASE("lastSync is kept per server and per direction", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  CHECK(store->last_sync("plex", SyncDirection::import) == 0);
  {
    auto batch = store->begin_write();
    batch.set_last_sync("plex", SyncDirection::import, 100);
    batch.set_last_sync("plex", SyncDirection::export_, 200);
    batch.set_last_sync("jellyfin", SyncDirection::import, 300);
    REQUIRE(batch.commit().ok());
  }
  CHECK(store->last_sync("plex", SyncDirection::import) == 100);
  CHECK(store->last_sync("plex", SyncDirection::export_) == 200);
  CHECK(store->last_sync("jellyfin", SyncDirection::import) == 300);
  CHECK(store->last_sync("jellyfin", SyncDirection::export_) == 0);
  CHECK(store->last_sync("emby", SyncDirection::import) == 0);
  auto stats = store->stats();
  REQUIRE(stats.last_sync.size() == 2);
  CHECK(stats.last_sync["plex"].import == 100);
  CHECK(stats.last_sync["plex"].export_ == 200);
  CHECK(stats.last_sync["jellyfin"].import == 300);
}

TEST_CASE("the last import's kind holds when a delta starts in the second of the full import", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  CHECK(store->last_import_kind("plex").empty());
  // What a finished import writes (RequestRun): a full one both starts and clears the delta's.
  auto finish = [&](bool full, int64_t started) {
    auto batch = store->begin_write();
    batch.set_last_sync("plex", SyncDirection::import, started);
    if (full) batch.set_last_sync("plex", SyncDirection::full_import, started);
    batch.set_last_sync("plex", SyncDirection::delta_import, full ? 0 : started);
    REQUIRE(batch.commit().ok());
  };
  finish(true, 100);
  CHECK(store->last_import_kind("plex") == "full");
  finish(false, 100);  // the same second: start times alone would call it full
  CHECK(store->last_import_kind("plex") == "delta");
  CHECK(store->stats().last_sync["plex"].delta_import == 100);
  finish(true, 100);
  CHECK(store->last_import_kind("plex") == "full");
  CHECK(store->last_sync("plex", SyncDirection::full_import) == 100);
}

TEST_CASE("the changes index is in updated_at order and follows updates", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  auto a = movie("tt1");
  auto b = movie("tt2");
  auto c = movie("tt3");
  a.updated_at = 30;
  b.updated_at = 10;
  c.updated_at = 20;
  {
    auto batch = store->begin_write();
    batch.put(a);
    batch.put(b);
    batch.put(c);
    REQUIRE(batch.commit().ok());
  }
  CHECK(changed_ids(*store, 0) == std::vector<uint64_t>{b.id, c.id, a.id});
  CHECK(changed_ids(*store, 20) == std::vector<uint64_t>{a.id});
  CHECK(changed_ids(*store, 30).empty());

  b.updated_at = 40;
  put_one(*store, b);
  CHECK(changed_ids(*store, 0) == std::vector<uint64_t>{c.id, a.id, b.id});  // b once, at its new place
  CHECK(changed_ids(*store, 25) == std::vector<uint64_t>{a.id, b.id});

  SECTION("stopping early") {
    int seen = 0;
    store->for_each_changed_since(0, [&](const Record&) { return ++seen < 2; });
    CHECK(seen == 2);
  }
}

TEST_CASE("outbox entries are put, listed in key order and erased", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  {
    auto batch = store->begin_write();
    batch.outbox_put("job-2", "two");
    batch.outbox_put("job-1", std::string("one\0bin", 7));
    REQUIRE(batch.commit().ok());
  }
  auto entries = store->outbox();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].first == "job-1");
  CHECK(entries[0].second == std::string("one\0bin", 7));
  CHECK(entries[1].first == "job-2");
  CHECK(store->stats().outbox == 2);
  {
    auto batch = store->begin_write();
    batch.outbox_erase("job-1");
    batch.outbox_erase("job-unknown");  // erasing what is not there is fine
    REQUIRE(batch.commit().ok());
  }
  entries = store->outbox();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].first == "job-2");
}

TEST_CASE("stats count records, kinds, servers and the file size", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  auto a = movie("tt1", "plex", "1");
  a.watched = true;
  a.metadata["jellyfin"].item_id = "j1";
  auto b = episode("5", 1, 1);
  b.metadata["plex"].item_id = "2";
  {
    auto batch = store->begin_write();
    batch.put(a);
    batch.put(b);
    REQUIRE(batch.commit().ok());
  }
  auto stats = store->stats();
  CHECK(stats.records == 2);
  CHECK(stats.movies == 1);
  CHECK(stats.episodes == 1);
  CHECK(stats.watched == 1);
  CHECK(stats.per_server["plex"] == 2);
  CHECK(stats.per_server["jellyfin"] == 1);
  CHECK(stats.pointers == 2);  // guid_imdb://tt1/movie, rguid_tvdb://5/1/1
  CHECK(stats.backend_ids == 3);
  CHECK(stats.file_bytes == std::filesystem::file_size(tmp.db() / "data.mdb"));
  CHECK(stats.file_bytes > 0);
  CHECK(stats.map_bytes == (size_t(8) << 30));
}

TEST_CASE("a store with another schema version is refused with both versions named", "[store]") {
  TempDir tmp;
  { open_writer(tmp.db()); }
  std::string written;
  SECTION("a newer version") { written = "3"; }
  SECTION("an unknown version") { written = "banana"; }
  {
    // Raw LMDB, as a newer watchstate (or something else) would leave it.
    auto env = lmdb::env::create();
    env.set_max_dbs(8);
    env.open(tmp.db().c_str(), 0, 0600);
    auto txn = lmdb::txn::begin(env);
    auto meta = lmdb::dbi::open(txn, "meta");
    lmdb::val key("schema_version"), value(written);
    meta.put(txn, key, value);
    txn.commit();
  }
  for (bool read_only : {false, true}) {
    auto store = Store::open(read_only ? reader_options(tmp.db()) : writer_options(tmp.db()));
    REQUIRE_FALSE(store.ok());
    const auto& message = store.error().message;
    CHECK_THAT(message, Catch::Contains(tmp.db().string()));
    CHECK_THAT(message, Catch::Contains("schema version"));
    CHECK_THAT(message, Catch::Contains(written));
    CHECK_THAT(message, Catch::Contains("version " + std::to_string(kStoreSchemaVersion)));
  }
}

TEST_CASE("an LMDB environment that is not a store is refused", "[store]") {
  TempDir tmp;
  std::filesystem::create_directories(tmp.db());
  {
    auto env = lmdb::env::create();
    env.open(tmp.db().c_str(), 0, 0600);
    auto txn = lmdb::txn::begin(env);
    auto main = lmdb::dbi::open(txn, nullptr);
    lmdb::val key("something"), value("else");
    main.put(txn, key, value);
    txn.commit();
  }
  auto store = Store::open(writer_options(tmp.db()));
  REQUIRE_FALSE(store.ok());
  CHECK_THAT(store.error().message, Catch::Contains("not a watchstate store"));
}

namespace {

// A writer with a 1 MiB map, holding `kept` (id 1).
std::unique_ptr<Store> open_tiny(const TempDir& tmp, Record& kept) {
  auto options = writer_options(tmp.db());
  options.map_size = 1 << 20;
  auto opened = Store::open(options);
  REQUIRE(opened.ok());
  auto store = std::move(opened).value();
  kept = movie("tt1");
  put_one(*store, kept);
  return store;
}

// A batch of 2,000 records of 2 KB each (4 MB: over a 1 MiB map), stopped at its first failure.
WriteBatch fill(Store& store) {
  auto batch = store.begin_write();
  for (int i = 0; i < 2'000 && !batch.error(); ++i) {
    auto r = movie("tt" + std::to_string(100 + i));
    r.title = std::string(2'000, 'x');
    batch.put(r);
  }
  return batch;
}

}  // namespace

TEST_CASE("a full map fails the commit clearly and the store then refuses writes", "[store]") {
  TempDir tmp;
  Record kept;
  auto store = open_tiny(tmp, kept);
  {
    auto batch = fill(*store);
    REQUIRE(batch.error());
    CHECK(batch.put(kept) == 0);  // skipped after the failure
    auto committed = batch.commit();
    REQUIRE_FALSE(committed.ok());
    CHECK_THAT(committed.error().message, Catch::Contains("is full"));
    CHECK_THAT(committed.error().message, Catch::Contains(tmp.db().string()));
  }
  auto next = store->begin_write();
  auto r = movie("tt2");
  CHECK(next.put(r) == 0);
  auto refused = next.commit();
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("refuses writes after a failed commit"));

  // What was committed before is intact, and a reopened store writes again.
  CHECK(store->get(kept.id));
  store.reset();
  auto reopened = Store::open(writer_options(tmp.db()));
  REQUIRE(reopened.ok());
  CHECK((*reopened)->stats().records == 1);
  auto small = movie("tt3");
  CHECK(put_one(**reopened, small) == 2);
}

TEST_CASE("a committed batch cannot be used again and only one batch is open at a time", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  auto batch = store->begin_write();
  auto second = store->begin_write();
  REQUIRE(second.error());
  CHECK_THAT(second.error()->message, Catch::Contains("already has an open write batch"));
  CHECK_FALSE(second.commit().ok());
  auto r = movie("tt1");
  CHECK(batch.put(r) == 1);  // the refused second batch did not disturb the first
  REQUIRE(batch.commit().ok());
  CHECK_FALSE(batch.commit().ok());
  // Misuse is not a failed write: the store still accepts batches.
  auto third = store->begin_write();
  auto s = movie("tt2");
  CHECK(third.put(s) == 2);
  CHECK(third.commit().ok());
}

TEST_CASE("a store that failed a commit writes again after reopen with a larger map, without a new Store",
          "[store]") {
  TempDir tmp;
  Record kept;
  auto store = open_tiny(tmp, kept);
  CHECK_FALSE(store->failure());
  REQUIRE_FALSE(fill(*store).commit().ok());
  REQUIRE(store->failure());
  CHECK_THAT(store->failure()->message, Catch::Contains("is full") && Catch::Contains("store.map_size"));
  // Reads go on while it refuses writes.
  CHECK(store->get(kept.id));
  CHECK(store->stats().records == 1);

  SECTION("the same size re-opens, and the same write fails the same way") {
    REQUIRE(store->reopen(size_t(1) << 20).ok());
    CHECK_FALSE(store->failure());
    CHECK_FALSE(fill(*store).commit().ok());
    CHECK(store->failure());
  }
  SECTION("a larger size takes the write") {
    REQUIRE(store->reopen(size_t(16) << 20).ok());
    CHECK_FALSE(store->failure());
    REQUIRE(fill(*store).commit().ok());
    CHECK(store->stats().records == 2'001);
    CHECK(store->stats().map_bytes == size_t(16) << 20);
    auto next = movie("tt2");
    CHECK(put_one(*store, next) == 2'002);
  }
}

TEST_CASE("a record id the next-id counter cannot follow is refused and the store goes on", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  auto first = movie("tt1");
  put_one(*store, first);
  for (uint64_t bad : {kMaxRecordId + 1, uint64_t(1) << 63, UINT64_MAX}) {
    auto batch = store->begin_write();
    auto r = movie("tt9");
    r.id = bad;
    CHECK(batch.put(r) == 0);
    auto committed = batch.commit();
    REQUIRE_FALSE(committed.ok());
    CHECK(committed.error().kind == ErrorKind::invalid_input);
    CHECK_THAT(committed.error().message, Catch::Contains(std::to_string(bad)) && Catch::Contains("out of range"));
  }
  CHECK_FALSE(store->failure());
  auto largest = movie("tt2");
  largest.id = kMaxRecordId;
  CHECK(put_one(*store, largest) == kMaxRecordId);
  CHECK(store->stats().records == 2);
  CHECK(store->get(first.id));
}

TEST_CASE("a store is not re-opened under an open write batch", "[store]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  {
    auto batch = store->begin_write();
    auto refused = store->reopen(size_t(16) << 20);
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error().message, Catch::Contains("during a write batch"));
    auto r = movie("tt1");
    CHECK(batch.put(r) == 1);
    REQUIRE(batch.commit().ok());
  }
  REQUIRE(store->reopen(size_t(16) << 20).ok());
  CHECK(store->get(1));
}

namespace {
// The per-character forms the on-disk backend keys were first written with: what the faster
// forms in store_ops must equal, byte for byte.
std::string reference_disk_key(std::string_view key) {
  std::string out;
  if (!key.empty() && static_cast<unsigned char>(key[0]) < 0x20) out += '\x04';
  for (size_t start = 0, part = 0;; ++part) {
    const size_t slash = key.find('/', start);
    const std::string_view segment = key.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (part > 0 && ws::is_hex32_lower(segment)) {
      out.append("\0\1", 2);
      ws::append_hex32_bytes(out, segment);
    } else {
      for (char c : segment) c == '\0' ? out.append("\0\2", 2) : out.append(1, c);
    }
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

std::string reference_key_of_disk(std::string_view k) {
  if (!k.empty() && k[0] == '\x04') k.remove_prefix(1);
  std::string out;
  for (size_t i = 0; i < k.size(); ++i) {
    if (k[i] != '\0' || i + 1 >= k.size()) {
      out += k[i];
    } else if (k[i + 1] == '\2') {
      out += '\0';
      ++i;
    } else if (k[i + 1] == '\1' && i + 18 <= k.size()) {
      ws::append_bytes_hex32(out, k.substr(i + 2, 16));
      i += 17;
    } else {
      out += k[i];
    }
  }
  return out;
}
}  // namespace

TEST_CASE("backend keys take their on-disk form and back as the per-character forms did", "[store]") {
  const std::string hex = "0123456789abcdef0123456789abcdef";
  std::vector<std::string> keys = {"", "plex/1", "jf/" + hex, "jf/" + hex + "/E2", std::string("a\0b/c\0", 6),
                                   std::string("\x01x/", 3), "emby/" + hex.substr(1), std::string(1, '\0')};
  // Pseudo-random keys over the bytes that matter: NUL, the escape bytes, '/', hex digits.
  const std::string alphabet("\0\1\2\4/a0f9Z", 10);
  uint32_t seed = 12345;
  for (int n = 0; n < 3000; ++n) {
    std::string key;
    seed = seed * 1664525u + 1013904223u;
    const size_t length = seed % 40;
    for (size_t i = 0; i < length; ++i) {
      seed = seed * 1664525u + 1013904223u;
      key += alphabet[(seed >> 16) % alphabet.size()];
    }
    if (seed % 3 == 0) key += "/" + hex;
    keys.push_back(key);
  }
  for (const auto& key : keys) {
    const std::string disk = ws::store_ops::backend_disk_key(key);
    CHECK(disk == reference_disk_key(key));
    CHECK(ws::store_ops::backend_key_of_disk(disk) == reference_key_of_disk(disk));
    CHECK(ws::store_ops::backend_key_of_disk(key) == reference_key_of_disk(key));  // any bytes at all
    std::string appended = "x";
    ws::store_ops::append_backend_key_of_disk(appended, disk);
    CHECK(appended == "x" + reference_key_of_disk(disk));
  }
}
