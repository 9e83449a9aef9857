// Export planning: rule 6 (a multi-episode file is written only when all its episodes agree),
// rule 9's date in an unplay, and writes a server kept ignoring (DESIGN §5 "After a write").
#include "ws/export_plan.h"

#include <catch2/catch.hpp>

#include "import_testutil.h"
#include "store_testutil.h"
#include "ws/batch_applier.h"

using namespace ws;
using testutil::import_at;

namespace {

// Episode `number` of a series as the split server ("split") lists it: a file of its own.
MediaItem split_episode(int number, bool watched, int64_t played_at = 0) {
  MediaItem item;
  item.server = "split";
  item.item_id = "s" + std::to_string(number);
  item.type = MediaType::episode;
  item.title = "Show";
  item.season = 1;
  item.episode = number;
  item.parent["tvdb"] = "81189";
  item.watched = watched;
  item.played_at = played_at;
  item.added_at = 1000;
  return item;
}

// The same two episodes as one file E01-E02 on "jf".
MediaItem joined_file(bool watched, int64_t played_at = 0) {
  MediaItem item = split_episode(1, watched, played_at);
  item.server = "jf";
  item.item_id = "file";
  item.episode_end = 2;
  return item;
}

struct FileFixture {
  testutil::TempDir dir;
  std::unique_ptr<Store> store = testutil::open_writer(dir.db());
  ExportPlanOptions options;
  FileFixture() {
    options.now = 9000;
    REQUIRE(apply_items(*store, {split_episode(1, false), split_episode(2, false)}, import_at(2000)).ok());
    REQUIRE(apply_items(*store, {joined_file(false)}, import_at(2000)).ok());
    REQUIRE(store->records_of_item("jf", "file").size() == 2);
  }
  ExportPlan plan(const std::string& server) { return plan_export(*store, server, options); }
};

// A movie unmarked in the state at 7000 that plex still has played (since 3000).
Record unmarked_movie_played_on_plex() {
  Record r;
  r.id = 4;
  r.type = MediaType::movie;
  r.watched = false;
  r.updated = 7000;
  r.unmarked_at = 7000;
  r.metadata["plex"].item_id = "12";
  r.metadata["plex"].watched = true;
  r.metadata["plex"].played_at = 3000;
  return r;
}

}  // namespace

TEST_CASE("one episode of a multi-episode file played elsewhere leaves the file alone and reports it mixed",
          "[export][multi_episode]") {
  FileFixture f;
  REQUIRE(apply_items(*f.store, {split_episode(1, true, 3000)}, import_at(4000, 2000)).ok());
  auto plan = f.plan("jf");
  CHECK(plan.actions.empty());
  REQUIRE(plan.mixed.size() == 1);
  CHECK(plan.mixed[0].item.item_id == "file");
  CHECK(plan.mixed[0].parts == std::vector<std::pair<int, bool>>{{1, true}, {2, false}});
  CHECK_THAT(plan.mixed[0].describe("jf"), Catch::Contains("Show S01E01-E02 (item file)") &&
                                               Catch::Contains("E01 played, E02 unplayed") &&
                                               Catch::Contains("stays unplayed"));
  SECTION("push mode sees the same, planning from every part") {
    f.options.since = 3000;
    auto push = f.plan("jf");
    CHECK(push.actions.empty());
    CHECK(push.mixed.size() == 1);
  }
  SECTION("once every episode is played, the file gets one write for both") {
    REQUIRE(apply_items(*f.store, {split_episode(2, true, 3500)}, import_at(5000, 4000)).ok());
    auto both = f.plan("jf");
    REQUIRE(both.actions.size() == 1);
    const auto& a = both.actions[0];
    CHECK(a.kind == PlannedExportKind::play);
    CHECK(a.item.item_id == "file");
    CHECK(a.played_at == 3500);  // the later of the two plays
    CHECK(a.records().size() == 2);
    CHECK(both.mixed.empty());
  }
}

TEST_CASE("a multi-episode file is unplayed only when every episode was unmarked after its play there",
          "[export][multi_episode]") {
  FileFixture f;
  // Everything played everywhere (the file at 3000).
  REQUIRE(apply_items(*f.store, {split_episode(1, true, 3000), split_episode(2, true, 3000)}, import_at(4000, 2000)).ok());
  REQUIRE(apply_items(*f.store, {joined_file(true, 3000)}, import_at(4000, 2000)).ok());
  REQUIRE(f.plan("jf").actions.empty());
  // E01 unmarked on the split server (it had it played: rule 2).
  REQUIRE(apply_items(*f.store, {split_episode(1, false)}, import_at(6000, 4000)).ok());
  auto one = f.plan("jf");
  CHECK(one.actions.empty());
  REQUIRE(one.mixed.size() == 1);
  CHECK(one.mixed[0].server_watched);
  CHECK(one.unplays == 0);

  REQUIRE(apply_items(*f.store, {split_episode(2, false)}, import_at(7000, 6000)).ok());
  auto both = f.plan("jf");
  REQUIRE(both.actions.size() == 1);
  CHECK(both.actions[0].kind == PlannedExportKind::unplay);
  CHECK(both.actions[0].unmarked_at == 6000);  // rule 9 compares with the first unmark
  CHECK(both.unplays == 1);
}

TEST_CASE("an unplay carries the unmark's date for rule 9", "[export]") {
  Record r = unmarked_movie_played_on_plex();
  ExportPlanOptions o;
  auto actions = plan_record(r, "plex", o);
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].kind == PlannedExportKind::unplay);
  CHECK(actions[0].unmarked_at == 7000);
  // Played there after the unmark: news for the next import, not planned away.
  r.metadata["plex"].played_at = 7500;
  CHECK(plan_record(r, "plex", o).empty());
}

TEST_CASE("a server that takes no unmarks (DISABLE_MARK_UNPLAYED) gets plays and positions, never an unplay",
          "[export]") {
  Record r = unmarked_movie_played_on_plex();
  ExportPlanOptions o;
  REQUIRE(plan_record(r, "plex", o).size() == 1);  // an unplay, as the test above shows
  o.unplay = false;
  CHECK(plan_record(r, "plex", o).empty());
  SECTION("a play is still planned") {
    r.watched = true;
    r.metadata["plex"].watched = false;
    auto actions = plan_record(r, "plex", o);
    REQUIRE(actions.size() == 1);
    CHECK(actions[0].kind == PlannedExportKind::play);
  }
  SECTION("a multi-episode file whose episodes were all unmarked is left played") {
    FileFixture f;
    REQUIRE(apply_items(*f.store, {split_episode(1, true, 3000), split_episode(2, true, 3000)}, import_at(4000, 2000)).ok());
    REQUIRE(apply_items(*f.store, {joined_file(true, 3000)}, import_at(4000, 2000)).ok());
    REQUIRE(apply_items(*f.store, {split_episode(1, false), split_episode(2, false)}, import_at(6000, 4000)).ok());
    REQUIRE(f.plan("jf").unplays == 1);
    f.options.unplay = false;
    auto plan = f.plan("jf");
    CHECK(plan.actions.empty());
    CHECK(plan.unplays == 0);
  }
}

TEST_CASE("a write the server ignored max_ignored times is no longer planned, until it changes or -f",
          "[export][ignored]") {
  Record r;
  r.id = 4;
  r.type = MediaType::movie;
  r.watched = true;
  r.updated = 3000;
  auto& m = r.metadata["jf"];
  m.item_id = "a";
  m.watched = false;
  m.ignored_watched = false;
  ExportPlanOptions o;
  o.max_ignored = 3;
  m.ignored_writes = 2;
  CHECK(plan_record(r, "jf", o).size() == 1);  // retried
  m.ignored_writes = 3;
  CHECK(plan_record(r, "jf", o).empty());
  o.retry_given_up = true;  // state:export -f
  CHECK(plan_record(r, "jf", o).size() == 1);
  o.retry_given_up = false;
  // The server's own state for it changed since (an import reported it played, then unplayed
  // by hand): planning comes back with the next difference.
  m.ignored_watched = true;
  CHECK(plan_record(r, "jf", o).size() == 1);
}

TEST_CASE("a plan that keeps only some actions counts them all, and planning its sources again gives them all",
          "[export][plan][window]") {
  FileFixture f;
  // The two episodes played on "split": one write to jf's file E01-E02, with a part.
  REQUIRE(apply_items(*f.store, {split_episode(1, true, 3000), split_episode(2, true, 3100)}, import_at(4000, 2000)).ok());
  std::vector<MediaItem> films;
  for (int i = 0; i < 40; ++i) {
    MediaItem item;
    item.type = MediaType::movie;
    item.title = "Film " + std::to_string(i);
    item.guids["imdb"] = "tt" + std::to_string(3000000 + i);
    item.added_at = 1000;
    item.server = "split";
    item.item_id = "m" + std::to_string(i);
    item.watched = i % 2 == 0;  // the even ones played on split
    item.played_at = item.watched ? 3000 : 0;
    films.push_back(item);
    item.server = "jf";
    item.watched = false;
    item.played_at = 0;
    films.push_back(item);
  }
  REQUIRE(apply_items(*f.store, films, import_at(5000, 4000)).ok());
  const auto whole = f.plan("jf");
  REQUIRE(whole.complete());
  REQUIRE(whole.planned == 21);
  CHECK(whole.sources.size() == 21);

  f.options.keep_actions = 5;
  const auto kept = f.plan("jf");
  CHECK(kept.planned == 21);
  CHECK(kept.actions.size() == 5);
  CHECK_FALSE(kept.complete());
  CHECK(kept.sources == whole.sources);
  CHECK(kept.unplays == whole.unplays);
  CHECK(std::equal(kept.actions.begin(), kept.actions.end(), whole.actions.begin()));

  // Planned again in chunks of 4 records: the same actions in the same order.
  std::vector<PlannedExport> again;
  for (size_t i = 0; i < kept.sources.size(); i += 4) {
    std::vector<Record> records;
    for (size_t k = i; k < std::min(kept.sources.size(), i + 4); ++k) records.push_back(*f.store->get(kept.sources[k]));
    for (auto& a : plan_again(*f.store, "jf", records, kept.options)) again.push_back(std::move(a));
  }
  CHECK(again == whole.actions);
  const auto file = std::find_if(again.begin(), again.end(), [](const PlannedExport& a) { return a.item.item_id == "file"; });
  REQUIRE(file != again.end());
  CHECK(file->parts.size() == 1);
}
