// state:backup, state:restore and state:unmatched as a user runs them.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <tuple>
#include <vector>

#include "cli_testutil.h"
#include "ws/store.h"

using ws::testing::DataDir;
using ws::testing::run;

namespace {

ws::Record episode(const std::string& tvdb, int season, int ep, bool watched) {
  ws::Record r;
  r.type = ws::MediaType::episode;
  r.title = "Série";
  r.season = season;
  r.episode = ep;
  r.watched = watched;
  r.updated = 1700000000 + ep;
  r.guids["tvdb"] = tvdb;
  r.parent["tvdb"] = "121361";
  r.metadata["my_plex"].item_id = "k" + tvdb;
  r.metadata["my_plex"].watched = watched;
  return r;
}

void seed_state(const std::filesystem::path& db, int n) {
  auto store = ws::Store::open({db, false});
  REQUIRE(store.ok());
  auto batch = store.value()->begin_write();
  for (int i = 1; i <= n; ++i) {
    auto r = episode(std::to_string(1000 + i), 1, i, i % 2 == 0);
    batch.put(r);
  }
  ws::MediaItem lost;
  lost.server = "my_plex";
  lost.item_id = "77";
  lost.title = "No Ids";
  batch.unmatched_put("my_plex", "77", "my_plex: movie 'No Ids', item 77 has no external ids: not matched", lost);
  REQUIRE(batch.commit().ok());
}

}  // namespace

TEST_CASE("a backup restored into an empty folder gives back every record", "[cli][backup]") {
  std::filesystem::path backup;
  std::string listed;
  {
    DataDir source;
    seed_state(source.path / "db", 40);
    backup = std::filesystem::temp_directory_path() / ("ws-backup-test-" + std::to_string(::getpid()) + ".json");
    auto saved = run({"state:backup", backup.string()});
    REQUIRE(saved.code == 0);
    CHECK_THAT(saved.out, Catch::Contains("wrote 40 records"));
    auto list = run({"state:list", "--limit", "0", "--output", "json"});
    REQUIRE(list.code == 0);
    listed = list.out;
  }
  DataDir target;
  auto restored = run({"state:restore", backup.string()});
  std::filesystem::remove(backup);
  REQUIRE(restored.code == 0);
  CHECK_THAT(restored.out, Catch::Contains("restored 40 records"));
  auto list = run({"state:list", "--limit", "0", "--output", "json"});
  REQUIRE(list.code == 0);
  CHECK(list.out == listed);
  auto shown = run({"state:show", "tvdb://1007"});
  CHECK(shown.code == 0);
}

TEST_CASE("a file that is not a backup is refused with its name and nothing changes", "[cli][backup]") {
  DataDir dir;
  dir.write(dir.path / "other.json", R"({"format":"something-else","records":[]})");
  auto refused = run({"state:restore", (dir.path / "other.json").string()});
  CHECK(refused.code == 1);
  CHECK_THAT(refused.err, Catch::Contains("other.json") && Catch::Contains("not a watchstate backup"));
  dir.write(dir.path / "broken.json", R"({"format":"watchstate-backup","version":1,"records":[{"type":"song"}]})");
  auto broken = run({"state:restore", (dir.path / "broken.json").string()});
  CHECK(broken.code == 1);
  CHECK_THAT(broken.err, Catch::Contains("record 1"));
  CHECK_FALSE(std::filesystem::exists(dir.path / "db" / "data.mdb"));
}

TEST_CASE("state:unmatched lists what an import could not match, and why", "[cli][unmatched]") {
  DataDir dir;
  seed_state(dir.path / "db", 2);
  auto listed = run({"state:unmatched", "--output", "json"});
  REQUIRE(listed.code == 0);
  auto j = nlohmann::json::parse(listed.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["server"] == "my_plex");
  CHECK(j[0]["item"]["item_id"] == "77");
  CHECK_THAT(j[0]["reason"].get<std::string>(), Catch::Contains("no external ids"));
  auto other = run({"state:unmatched", "-s", "my_jellyfin", "--output", "json"});
  CHECK(nlohmann::json::parse(other.out).empty());
}

namespace {

std::string records_of(const std::string& backup_text) {
  // The first line is the header, with the backup's own time: the records follow it.
  return backup_text.substr(backup_text.find('\n') + 1);
}

// The state as state:backup writes it, without the header.
std::string backup_records(const DataDir& dir) {
  const auto file = dir.path / "now.json";
  auto saved = run({"state:backup", file.string()});
  REQUIRE(saved.code == 0);
  return records_of(dir.read(file));
}

// `text` with `from` replaced by `to` on the line of record `id` (a backup has one record per
// line, keys in order: a record's own `watched` is its line's last, after its servers').
std::string replace_in_record(std::string text, int id, const std::string& from, const std::string& to,
                              bool last = false) {
  const size_t id_at = text.find("\"id\":" + std::to_string(id) + ",");
  REQUIRE(id_at != std::string::npos);
  const size_t begin = text.rfind('\n', id_at) + 1, end = text.find('\n', id_at);
  const size_t at = last ? text.rfind(from, end) : text.find(from, begin);
  REQUIRE((at >= begin && at < end));
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a backup with a fault anywhere leaves the state exactly as it was and names the record and field",
          "[cli][backup]") {
  DataDir dir;
  seed_state(dir.path / "db", 40);
  const auto good_file = dir.path / "good.json";
  REQUIRE(run({"state:backup", good_file.string()}).code == 0);
  const std::string good = dir.read(good_file);
  const std::string before = backup_records(dir);
  REQUIRE(before.find("\"id\":20,") != std::string::npos);

  std::string not_an_object = good;
  not_an_object.replace(not_an_object.rfind("\n]}"), 3, ",\n42\n]}");
  // What is wrong, the backup with that fault, and what the refusal must say.
  const std::vector<std::tuple<std::string, std::string, std::string>> faults = {
      {"a negative id", replace_in_record(good, 20, "\"id\":20,", "\"id\":-1,"),
       "record 20 (id -1): field 'id': -1 is out of range 1..9223372036854775806"},
      {"an id above 2^63", replace_in_record(good, 20, "\"id\":20,", "\"id\":9223372036854775809,"),
       "record 20 (id 9223372036854775809): field 'id': 9223372036854775809 is out of range"},
      {"an id past every 64-bit integer", replace_in_record(good, 20, "\"id\":20,", "\"id\":18446744073709551616,"),
       "record 20 (id 1.8446744073709552e+19): field 'id': expected a whole number"},
      {"a field of the wrong type halfway",
       replace_in_record(good, 20, "\"watched\":true", "\"watched\":\"yes\"", true),
       "record 20 (id 20): field 'watched': expected true or false, found the text \"yes\""},
      {"a server's field of the wrong type", replace_in_record(good, 21, "\"item_id\":\"k1021\"", "\"item_id\":1021"),
       "record 21 (id 21): field 'metadata.my_plex.item_id': expected a text, found 1021"},
      {"an id given twice", replace_in_record(good, 20, "\"id\":20,", "\"id\":3,"),
       "record 20 (id 3): id 3 appears twice"},
      {"a truncated file", good.substr(0, good.size() * 6 / 10), "not a complete JSON document"},
      {"a record that is not an object", not_an_object, "record 41 (id none): expected an object, found 42"},
      {"another document whose records come first",
       "{\"records\":[{\"id\":1,\"type\":\"movie\"}],\"format\":\"other\",\"version\":1}",
       "not a watchstate backup"},
  };
  for (const auto& [fault, bad, expected] : faults) {
    DYNAMIC_SECTION(fault) {
      const auto bad_file = dir.path / "bad.json";
      dir.write(bad_file, bad);
      auto refused = run({"state:restore", bad_file.string()});
      CHECK(refused.code == 1);
      CHECK_THAT(refused.err, Catch::Contains(bad_file.string()) && Catch::Contains(expected));
      CHECK(backup_records(dir) == before);
      CHECK_FALSE(std::filesystem::exists(dir.path / "db" / "restore.tmp"));
    }
  }
}

TEST_CASE("a restore clears the outbox and last syncs so the next import and export run in full", "[cli][backup]") {
  DataDir dir;
  seed_state(dir.path / "db", 5);
  const auto file = dir.path / "b.json";
  REQUIRE(run({"state:backup", file.string()}).code == 0);
  {
    auto store = ws::Store::open({dir.path / "db", false});
    REQUIRE(store.ok());
    auto batch = store.value()->begin_write();
    batch.outbox_put("job", "x");
    batch.set_last_sync("my_plex", ws::SyncDirection::import, 1700000000);
    batch.set_last_sync("my_plex", ws::SyncDirection::export_, 1700000001);
    REQUIRE(batch.commit().ok());
  }
  auto restored = run({"state:restore", file.string()});
  REQUIRE(restored.code == 0);
  CHECK_THAT(restored.out, Catch::Contains("restored 5 records") && Catch::Contains("run in full"));
  auto stats = run({"db:stats", "--output", "json"});
  REQUIRE(stats.code == 0);
  auto j = nlohmann::json::parse(stats.out);
  CHECK(j["records"] == 5);
  CHECK(j["outbox"] == 0);
  CHECK(j["servers"]["my_plex"]["import_last_sync"] == 0);
  CHECK(j["servers"]["my_plex"]["export_last_sync"] == 0);
}

TEST_CASE("a backup made by the previous version, with servers' paths and titles, restores without them",
          "[cli][backup]") {
  DataDir dir;
  // What state:backup wrote while records kept each server's path, title and episode title.
  const auto file = dir.path / "old.json";
  dir.write(file, R"({"format":"watchstate-backup","version":1,"records":[
    {"id":7,"type":"episode","watched":true,"updated":1700000000,"via":"my_plex","title":"Série",
     "season":1,"episode":2,"guids":{"tvdb":"349232"},"parent":{"tvdb":"81189"},
     "metadata":{"my_plex":{"item_id":"202","library_id":"2","watched":true,"played_at":1700000000,
                            "path":"/tv/Série/S01E02.mkv","title":"Série","episode_title":"Cat's in the Bag..."},
                 "my_jelly":{"item_id":"0123456789abcdef0123456789abcdef","title":"Serie",
                             "episode_title":"Cat's in the Bag","path":"/data/tv/s01e02.mkv"}},
     "created_at":1690000000,"updated_at":1700000000}]})");
  auto restored = run({"state:restore", file.string()});
  REQUIRE(restored.code == 0);
  CHECK_THAT(restored.out, Catch::Contains("restored 1 records"));
  auto store = ws::Store::open({dir.path / "db", true});
  REQUIRE(store.ok());
  auto r = store.value()->get(7);
  REQUIRE(r);
  ws::Record expected;
  expected.id = 7;
  expected.type = ws::MediaType::episode;
  expected.watched = true;
  expected.updated = 1700000000;
  expected.via = "my_plex";
  expected.title = "Série";
  expected.season = 1;
  expected.episode = 2;
  expected.guids = {{"tvdb", "349232"}};
  expected.parent = {{"tvdb", "81189"}};
  expected.metadata["my_plex"] = ws::ServerMeta{"202", "", "2", true, 1700000000};
  expected.metadata["my_jelly"].item_id = "0123456789abcdef0123456789abcdef";
  expected.created_at = 1690000000;
  expected.updated_at = 1700000000;
  CHECK(*r == expected);
  // And a backup of the restored state no longer carries them.
  const auto again = dir.path / "new.json";
  REQUIRE(run({"state:backup", again.string()}).code == 0);
  std::ifstream in(again);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, !Catch::Contains("episode_title") && !Catch::Contains("/tv/"));
}
