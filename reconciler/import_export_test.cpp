// The reconciler's import and export decisions over a real store, without sockets: batches go
// through apply_items, plans come from plan_export.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "import_testutil.h"
#include "store_testutil.h"
#include "ws/batch_applier.h"
#include "ws/export_plan.h"

using namespace ws;
using testutil::import_at;

namespace {

MediaItem movie_on(const std::string& server, const std::string& id, const std::string& imdb, bool watched,
                   int64_t played_at = 0, int64_t added_at = 1000) {
  MediaItem item;
  item.server = server;
  item.item_id = id;
  item.type = MediaType::movie;
  item.title = "Film " + imdb;
  if (!imdb.empty()) item.guids["imdb"] = imdb;
  item.watched = watched;
  item.played_at = played_at;
  item.added_at = added_at;
  return item;
}

}  // namespace

TEST_CASE("an imported batch creates, matches and reports unmatched items", "[import]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  auto first = apply_items(*store, {movie_on("plex", "1", "tt0000001", true, 2000), movie_on("plex", "2", "", false)},
                           import_at(5000));
  REQUIRE(first.ok());
  CHECK(first->fetched == 2);
  CHECK(first->created == 1);
  CHECK(first->unmatched == 1);

  auto second = apply_items(*store, {movie_on("jelly", "a", "tt0000001", false)}, import_at(6000));
  REQUIRE(second.ok());
  CHECK(second->matched == 1);
  CHECK(second->created == 0);
  CHECK(store->stats().records == 1);

  int unmatched = 0;
  store->for_each_unmatched("plex", [&](const std::string& server, const std::string& reason, const MediaItem& item) {
    CHECK(server == "plex");
    CHECK(item.item_id == "2");
    CHECK_FALSE(reason.empty());
    ++unmatched;
    return true;
  });
  CHECK(unmatched == 1);
  auto clear = store->begin_write();
  clear.unmatched_clear("plex");
  REQUIRE(clear.commit().ok());
  store->for_each_unmatched("", [&](auto&&...) { return ++unmatched, true; });
  CHECK(unmatched == 1);
}

TEST_CASE("a dry-run import commits nothing", "[import]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  auto o = import_at(5000);
  o.dry_run = true;
  auto counts = apply_items(*store, {movie_on("plex", "1", "tt0000001", true, 2000)}, o);
  REQUIRE(counts.ok());
  CHECK(counts->created == 1);
  CHECK(store->stats().records == 0);
}

TEST_CASE("the export plan marks played where a server lags and leaves servers without the item alone",
          "[export]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  REQUIRE(apply_items(*store, {movie_on("plex", "1", "tt0000001", true, 2000)}, import_at(5000)).ok());
  REQUIRE(apply_items(*store, {movie_on("jelly", "a", "tt0000001", false)}, import_at(5001)).ok());
  REQUIRE(apply_items(*store, {movie_on("plex", "2", "tt0000002", true, 2100)}, import_at(5002)).ok());

  ExportPlanOptions o;
  o.now = 6000;
  auto jelly = plan_export(*store, "jelly", o);
  REQUIRE(jelly.actions.size() == 1);
  CHECK(jelly.actions[0].kind == PlannedExportKind::play);
  CHECK(jelly.actions[0].item.item_id == "a");
  CHECK(jelly.actions[0].played_at == 2000);
  CHECK(plan_export(*store, "plex", o).actions.empty());
}

TEST_CASE("an unmark on the server that had it played plans unplays elsewhere", "[export]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  REQUIRE(apply_items(*store, {movie_on("plex", "1", "tt0000001", true, 2000)}, import_at(5000)).ok());
  REQUIRE(apply_items(*store, {movie_on("jelly", "a", "tt0000001", true, 2000)}, import_at(5000)).ok());
  // Unplayed on jelly, which had it played, with the same added date: an unmark (rule 2).
  REQUIRE(apply_items(*store, {movie_on("jelly", "a", "tt0000001", false)}, import_at(7000, 5000)).ok());
  ExportPlanOptions o;
  o.now = 8000;
  auto plex = plan_export(*store, "plex", o);
  REQUIRE(plex.actions.size() == 1);
  CHECK(plex.actions[0].kind == PlannedExportKind::unplay);
  SECTION("push mode sees it as a change since the last export") {
    o.since = 6000;
    CHECK(plan_export(*store, "plex", o).actions.size() == 1);
    o.since = 7000;
    CHECK(plan_export(*store, "plex", o).actions.empty());
  }
}

TEST_CASE("the export guard trips on a plan that unmarks too much", "[export]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  std::vector<MediaItem> plex, jelly_played, jelly_unplayed;
  for (int i = 1; i <= 20; ++i) {
    auto imdb = "tt10000" + std::to_string(10 + i);
    plex.push_back(movie_on("plex", std::to_string(i), imdb, true, 2000));
    jelly_played.push_back(movie_on("jelly", "j" + std::to_string(i), imdb, true, 2000));
    jelly_unplayed.push_back(movie_on("jelly", "j" + std::to_string(i), imdb, false));
  }
  REQUIRE(apply_items(*store, plex, import_at(5000)).ok());
  REQUIRE(apply_items(*store, jelly_played, import_at(5000)).ok());
  REQUIRE(apply_items(*store, jelly_unplayed, import_at(7000, 5000)).ok());
  ExportPlanOptions o;
  o.now = 8000;
  auto plan = plan_export(*store, "plex", o);
  CHECK(plan.unplays == 20);
  CHECK(plan.guard_tripped());
  CHECK_THAT(plan.guard.message, Catch::Contains("20 of 20") && Catch::Contains("--force"));
  o.guard.share = 1.0;
  CHECK_FALSE(plan_export(*store, "plex", o).guard_tripped());
}

TEST_CASE("an export action survives the outbox's JSON form", "[export]") {
  PlannedExport a;
  a.server = "my_emby";
  a.record_id = 7;
  a.kind = PlannedExportKind::progress;
  a.item.item_id = "55";
  a.item.server = "my_emby";
  a.progress_ms = 123000;
  a.planned_at = 9;
  nlohmann::json j = a;
  CHECK(j.get<PlannedExport>() == a);
  a.kind = PlannedExportKind::unplay;
  a.unmarked_at = 8;
  a.parts = {8, 9};
  a.refused = true;
  j = a;
  CHECK(j.get<PlannedExport>() == a);
  a.kind = PlannedExportKind::progress;
  CHECK(a.key() == "my_emby/7/progress");
  j["action"] = "delete";
  CHECK_THROWS(j.get<PlannedExport>());
}
