// state:backup, state:restore and state:unmatched as a user runs them.
#include <catch2/catch.hpp>

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
