// Replacing the whole state at once (state:restore's store side): nothing changes until commit(),
// and the writer lock and other processes' readers are respected.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "store_testutil.h"
#include "ws/store.h"
#include "ws/store_replacement.h"

using namespace ws;
using namespace ws::testutil;

namespace {

// The live state as a list of (id, title, watched), plus what a replacement must clear.
struct Snapshot {
  std::vector<std::tuple<uint64_t, std::string, bool>> records;
  size_t outbox = 0;
  int64_t last_import = 0;
  size_t unmatched = 0;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const std::filesystem::path& db) {
  auto store = Store::open(reader_options(db));
  if (!store) throw std::runtime_error(store.error().message);
  Snapshot s;
  (*store)->for_each([&](const Record& r) {
    s.records.emplace_back(r.id, r.title, r.watched);
    return true;
  });
  s.outbox = (*store)->outbox().size();
  s.last_import = (*store)->last_sync("plex", SyncDirection::import);
  (*store)->for_each_unmatched("", [&](const std::string&, const std::string&, const MediaItem&) {
    ++s.unmatched;
    return true;
  });
  return s;
}

// A live state with records, an outbox entry, a lastSync and an unmatched item.
void seed(const std::filesystem::path& db, int records) {
  auto store = open_writer(db);
  auto batch = store->begin_write();
  for (int i = 0; i < records; ++i) {
    auto r = movie("tt" + std::to_string(100 + i), "plex", std::to_string(i));
    batch.put(r);
  }
  batch.outbox_put("job-1", "pending");
  batch.set_last_sync("plex", SyncDirection::import, 1700000000);
  batch.unmatched_put("plex", "x", "no ids", item_from("plex", "x", MediaType::movie));
  REQUIRE(batch.commit().ok());
}

Record restored(uint64_t id, const std::string& imdb) {
  auto r = movie(imdb, "jellyfin", "j" + std::to_string(id));
  r.id = id;
  r.title = "Restored " + imdb;
  r.watched = true;
  return r;
}

StoreReplacement::Options replace_options(const std::filesystem::path& db) {
  StoreReplacement::Options o;
  o.dir = db;
  o.records_per_transaction = 7;  // several transactions even for a handful of records
  o.reader_wait = std::chrono::milliseconds(300);
  return o;
}

}  // namespace

TEST_CASE("a replacement swaps in every record at once and clears the outbox, last syncs and unmatched",
          "[store][replace]") {
  TempDir tmp;
  seed(tmp.db(), 5);
  const Snapshot before = snapshot(tmp.db());
  REQUIRE(before.outbox == 1);

  auto replacement = StoreReplacement::begin(replace_options(tmp.db()));
  REQUIRE(replacement.ok());
  for (uint64_t id : {3u, 10u, 11u, 40u, 41u, 42u, 43u, 44u, 45u, 46u, 47u, 48u}) {
    REQUIRE(replacement->add(restored(id, "tt9" + std::to_string(id))).ok());
    // The live state is untouched while the new one is built.
    if (id == 44) CHECK(snapshot(tmp.db()) == before);
  }
  auto committed = replacement->commit();
  REQUIRE(committed.ok());
  CHECK(committed.value() == 12);

  const Snapshot after = snapshot(tmp.db());
  REQUIRE(after.records.size() == 12);
  CHECK(std::get<0>(after.records.front()) == 3);
  CHECK(std::get<1>(after.records.front()) == "Restored tt93");
  CHECK(after.outbox == 0);
  CHECK(after.last_import == 0);
  CHECK(after.unmatched == 0);
  CHECK_FALSE(std::filesystem::exists(tmp.db() / "restore.tmp"));

  // The match keys came along, and new records get ids past the largest restored one.
  auto store = open_writer(tmp.db());
  MediaItem item = item_from("jellyfin", "j40", MediaType::movie);
  auto found = store->find(item);
  REQUIRE(found);
  CHECK(found->id == 40);
  item.item_id = "nope";
  item.guids["imdb"] = "tt947";
  CHECK(store->find(item));
  auto fresh = movie("tt5555");
  CHECK(put_one(*store, fresh) == 49);
}

TEST_CASE("a replacement that is not committed leaves the live state as it was", "[store][replace]") {
  TempDir tmp;
  seed(tmp.db(), 20);
  const Snapshot before = snapshot(tmp.db());
  {
    auto replacement = StoreReplacement::begin(replace_options(tmp.db()));
    REQUIRE(replacement.ok());
    for (uint64_t id = 1; id <= 30; ++id) REQUIRE(replacement->add(restored(id, "tt8" + std::to_string(id))).ok());
  }
  CHECK(snapshot(tmp.db()) == before);
  CHECK_FALSE(std::filesystem::exists(tmp.db() / "restore.tmp"));
}

TEST_CASE("a replacement refuses an id out of range or given twice, and nothing changes", "[store][replace]") {
  TempDir tmp;
  seed(tmp.db(), 3);
  const Snapshot before = snapshot(tmp.db());
  uint64_t bad = 0;
  std::string why;
  SECTION("zero") {
    bad = 0;
    why = "id 0 is out of range 1.." + std::to_string(kMaxRecordId);
  }
  SECTION("past the largest id the counter can follow") {
    bad = kMaxRecordId + 1;
    why = "id " + std::to_string(kMaxRecordId + 1) + " is out of range";
  }
  SECTION("given twice") {
    bad = 2;
    why = "id 2 appears twice";
  }
  auto replacement = StoreReplacement::begin(replace_options(tmp.db()));
  REQUIRE(replacement.ok());
  REQUIRE(replacement->add(restored(1, "tt1")).ok());
  REQUIRE(replacement->add(restored(2, "tt2")).ok());
  auto refused = replacement->add(restored(bad, "tt3"));
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains(why));
  // The first refusal ends it: a later good record and commit() give the same error.
  CHECK_FALSE(replacement->add(restored(9, "tt9")).ok());
  auto committed = replacement->commit();
  REQUIRE_FALSE(committed.ok());
  CHECK(committed.error().message == refused.error().message);
  CHECK(snapshot(tmp.db()) == before);
}

TEST_CASE("a replacement is refused while another process writes the state, naming its pid", "[store][replace]") {
  TempDir tmp;
  seed(tmp.db(), 2);
  HolderProcess writer(tmp.db(), true);
  REQUIRE(writer.opened());
  auto replacement = StoreReplacement::begin(replace_options(tmp.db()));
  REQUIRE_FALSE(replacement.ok());
  CHECK(replacement.error().kind == ErrorKind::unavailable);
  CHECK_THAT(replacement.error().message, Catch::Contains("(pid " + std::to_string(writer.pid()) + ")"));
  writer.release();
  CHECK(StoreReplacement::begin(replace_options(tmp.db())).ok());
}

TEST_CASE("a store open in this process cannot be replaced under it", "[store][replace]") {
  TempDir tmp;
  seed(tmp.db(), 2);
  auto reader = Store::open(reader_options(tmp.db()));
  REQUIRE(reader.ok());
  auto replacement = StoreReplacement::begin(replace_options(tmp.db()));
  REQUIRE_FALSE(replacement.ok());
  CHECK_THAT(replacement.error().message, Catch::Contains("is open in this process"));
}

TEST_CASE("the swap waits for another process reading the state, and refuses it after a while", "[store][replace]") {
  TempDir tmp;
  seed(tmp.db(), 4);
  const Snapshot before = snapshot(tmp.db());
  HolderProcess reader(tmp.db(), false);
  REQUIRE(reader.opened());
  {
    auto replacement = StoreReplacement::begin(replace_options(tmp.db()));
    REQUIRE(replacement.ok());
    REQUIRE(replacement->add(restored(1, "tt1")).ok());
    auto committed = replacement->commit();
    REQUIRE_FALSE(committed.ok());
    CHECK_THAT(committed.error().message,
               Catch::Contains("open in another process (pid " + std::to_string(reader.pid()) + ","));
  }
  CHECK(snapshot(tmp.db()) == before);
  reader.release();
  auto replacement = StoreReplacement::begin(replace_options(tmp.db()));
  REQUIRE(replacement.ok());
  REQUIRE(replacement->add(restored(1, "tt1")).ok());
  REQUIRE(replacement->commit().ok());
  CHECK(snapshot(tmp.db()).records.size() == 1);
}

TEST_CASE("another process opening the state after each swap reads the new records", "[store][replace]") {
  TempDir tmp;
  seed(tmp.db(), 50);  // many commits: the old lock file's transaction id is far from the new file's
  for (int round = 0; round < 3; ++round) {
    auto replacement = StoreReplacement::begin(replace_options(tmp.db()));
    REQUIRE(replacement.ok());
    const int count = 10 + round;
    for (int i = 1; i <= count; ++i) REQUIRE(replacement->add(restored(i, "tt7" + std::to_string(i))).ok());
    REQUIRE(replacement->commit().ok());
    // In another process, as a CLI reader would.
    int rc = run_in_child([&] { return static_cast<int>(snapshot(tmp.db()).records.size()); });
    CHECK(rc == count);
  }
}
