#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli_testutil.h"
#include "ws/spool.h"
#include "ws/store.h"

using namespace ws;
using ws::testing::DataDir;
using ws::testing::run;

namespace {

// Writes a small state: a watched movie, an unwatched one, and an episode.
void seed_state(const DataDir& data) {
  Store::Options options;
  options.dir = data.path / "db";
  auto store = Store::open(options);
  REQUIRE(store.ok());
  auto batch = (*store)->begin_write();
  Record shawshank;
  shawshank.type = MediaType::movie;
  shawshank.title = "The Shawshank Redemption";
  shawshank.year = 1994;
  shawshank.watched = true;
  shawshank.updated = 1700000000;
  shawshank.via = "my_plex";
  shawshank.guids = {{"imdb", "tt0111161"}, {"tmdb", "278"}};
  shawshank.metadata["my_plex"].item_id = "101";
  shawshank.metadata["my_plex"].watched = true;
  batch.put(shawshank);
  Record amelie;
  amelie.type = MediaType::movie;
  amelie.title = "Amélie";
  amelie.year = 2001;
  amelie.guids = {{"imdb", "tt0211915"}};
  amelie.metadata["my_jellyfin"].item_id = "abc";
  batch.put(amelie);
  Record ep;
  ep.type = MediaType::episode;
  ep.title = "Breaking Bad";
  ep.season = 1;
  ep.episode = 2;
  ep.watched = true;
  ep.parent = {{"tvdb", "81189"}};
  ep.guids = {{"tvdb", "349232"}};
  ep.metadata["my_plex"].item_id = "202";
  batch.put(ep);
  batch.set_last_sync("my_plex", SyncDirection::import, 1700000100);
  REQUIRE(batch.commit().ok());
}

// The titles a `state:list --output json` run printed, in order.
std::vector<std::string> titles(const testing::CliRun& r) {
  std::vector<std::string> out;
  for (const auto& item : nlohmann::json::parse(r.out)) out.push_back(item["title"]);
  return out;
}

}  // namespace

TEST_CASE("with no state yet the state commands say so", "[cli][state]") {
  DataDir data;
  SECTION("db:stats shows zero counts") {
    auto r = run({"--output", "json", "db:stats"});
    REQUIRE(r.code == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["records"] == 0);
    CHECK(j["exists"] == false);
    CHECK_THAT(r.err, Catch::Contains("no state yet: run state:import"));
  }
  SECTION("state:list is empty") {
    auto r = run({"--output", "json", "state:list"});
    REQUIRE(r.code == 0);
    CHECK(nlohmann::json::parse(r.out).empty());
    CHECK_THAT(r.err, Catch::Contains("no state yet"));
  }
  SECTION("state:show fails") {
    auto r = run({"state:show", "1"});
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("no state yet: run state:import"));
  }
  CHECK_FALSE(std::filesystem::exists(data.path / "db" / "data.mdb"));  // looking never creates
}

TEST_CASE("state:list filters by watched and by title", "[cli][state]") {
  DataDir data;
  seed_state(data);
  auto all = run({"--output", "json", "state:list"});
  REQUIRE(all.code == 0);
  CHECK(titles(all).size() == 3);
  auto watched = run({"--output", "json", "state:list", "--watched"});
  CHECK(titles(watched) == std::vector<std::string>{"The Shawshank Redemption", "Breaking Bad"});
  auto search = run({"--output", "json", "state:list", "--search", "SHAWSHANK"});
  CHECK(titles(search) == std::vector<std::string>{"The Shawshank Redemption"});
  auto by_series_title = run({"--output", "json", "state:list", "--search", "bad"});
  CHECK(titles(by_series_title) == std::vector<std::string>{"Breaking Bad"});
  auto limited = run({"--output", "json", "state:list", "--limit", "1"});
  CHECK(titles(limited).size() == 1);
  auto text = run({"state:list"});
  REQUIRE(text.code == 0);
  CHECK_THAT(text.out, Catch::Contains("Breaking Bad S01E02"));
  CHECK_THAT(text.out, Catch::Contains("Amélie (2001)"));
}

TEST_CASE("state:list --orphans lists the records no server has any more, with their state", "[cli][state]") {
  DataDir data;
  seed_state(data);
  CHECK(titles(run({"--output", "json", "state:list", "--orphans"})).empty());
  {
    Store::Options options;
    options.dir = data.path / "db";
    auto store = Store::open(options);
    REQUIRE(store.ok());
    auto batch = (*store)->begin_write();
    Record heat;  // every server pruned it (DESIGN §5 rule 8): only its history is left
    heat.type = MediaType::movie;
    heat.title = "Heat";
    heat.year = 1995;
    heat.watched = true;
    heat.updated = 1690000000;
    heat.guids = {{"imdb", "tt0113277"}};
    batch.put(heat);
    Record unplayed = heat;
    unplayed.id = 0;
    unplayed.title = "Ronin";
    unplayed.watched = false;
    unplayed.guids = {{"imdb", "tt0122690"}};
    batch.put(unplayed);
    REQUIRE(batch.commit().ok());
  }
  auto orphans = run({"--output", "json", "state:list", "--orphans"});
  REQUIRE(orphans.code == 0);
  CHECK(titles(orphans) == std::vector<std::string>{"Heat", "Ronin"});
  const auto listed = nlohmann::json::parse(orphans.out);
  CHECK(listed[0]["watched"] == true);
  CHECK(listed[0]["updated"] == 1690000000);
  CHECK(titles(run({"--output", "json", "state:list", "--orphans", "--watched"})) == std::vector<std::string>{"Heat"});
  CHECK(titles(run({"--output", "json", "state:list"})).size() == 5);
}

TEST_CASE("state:show finds a record by id or by GUID", "[cli][state]") {
  DataDir data;
  seed_state(data);
  SECTION("by GUID") {
    auto r = run({"--output", "json", "state:show", "imdb://tt0111161"});
    REQUIRE(r.code == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["title"] == "The Shawshank Redemption");
    auto text = run({"state:show", "imdb://tt0111161"});
    REQUIRE(text.code == 0);
    CHECK_THAT(text.out, Catch::Contains("my_plex") && Catch::Contains("imdb://tt0111161"));
  }
  SECTION("by id") {
    auto listed = nlohmann::json::parse(run({"--output", "json", "state:list", "--search", "amélie"}).out);
    REQUIRE(listed.size() == 1);
    const std::string id = std::to_string(listed[0]["id"].get<uint64_t>());
    auto r = run({"--output", "json", "state:show", id});
    REQUIRE(r.code == 0);
    CHECK(nlohmann::json::parse(r.out)["title"] == "Amélie");
  }
  SECTION("unknown id or GUID") {
    CHECK(run({"state:show", "999999"}).code == 1);
    CHECK(run({"state:show", "imdb://tt9999999"}).code == 1);
  }
  SECTION("not an id nor a GUID is a usage error") {
    auto r = run({"state:show", "shawshank"});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("imdb://tt0111161"));
  }
}

TEST_CASE("db:stats counts records and shows last syncs", "[cli][state]") {
  DataDir data;
  seed_state(data);
  data.write(data.servers(), "my_plex:\n  type: plex\n  url: http://p:32400\n  token: t\n");
  auto r = run({"--output", "json", "db:stats"});
  REQUIRE(r.code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["records"] == 3);
  CHECK(j["movies"] == 2);
  CHECK(j["episodes"] == 1);
  CHECK(j["watched"] == 2);
  CHECK(j["servers"]["my_plex"]["records"] == 2);
  CHECK(j["servers"]["my_plex"]["import_last_sync"] == 1700000100);
  CHECK(j["servers"]["my_jellyfin"]["records"] == 1);
  auto text = run({"db:stats"});
  REQUIRE(text.code == 0);
  CHECK_THAT(text.out, Catch::Contains("records:   3"));
  CHECK_THAT(text.out, Catch::Contains("2023-11-14 22:15:00"));
}

TEST_CASE("db:stats shows what waits in ingest's spool, and what failed there", "[cli][state][spool]") {
  DataDir data;
  seed_state(data);
  CHECK(nlohmann::json::parse(run({"--output", "json", "db:stats"}).out)["spool"].is_null());
  {
    auto spool = Spool::open(data.path / "spool");  // as ws-ingest left it
    REQUIRE(spool);
    SpoolRecord record;
    record.server = "my_plex";
    record.received_at = 1700000500;
    REQUIRE((*spool)->append(record));
    auto refused = (*spool)->append(record);
    REQUIRE(refused);
    (*spool)->move_to_failed(*refused, 10, "the one-item fetch failed");
    (*spool)->flush();
    // db:stats reads it while ingest still holds it.
    auto j = nlohmann::json::parse(run({"--output", "json", "db:stats"}).out);
    CHECK(j["spool"]["pending"] == 1);
    CHECK(j["spool"]["failed"] == 1);
    CHECK(j["spool"]["oldest_pending_at"] == 1700000500);
  }
  auto text = run({"db:stats"});
  REQUIRE(text.code == 0);
  CHECK_THAT(text.out, Catch::Contains("spool:     1 webhook events waiting for the reconciler, 1 failed"));
}

TEST_CASE("the state commands work while a writer holds the store", "[cli][state]") {
  DataDir data;
  seed_state(data);
  Store::Options options;
  options.dir = data.path / "db";
  auto writer = Store::open(options);
  REQUIRE(writer.ok());
  CHECK(run({"db:stats"}).code == 0);
  CHECK(run({"state:list"}).code == 0);
}
