// The export guard (export_guard.h): the floor, the share, the 24 h window of unmarks already
// written, --force, the refusal message, and push mode's recount of a server's played items.
#include "ws/export_guard.h"

#include <catch2/catch.hpp>

#include "store_testutil.h"
#include "ws/batch_applier.h"
#include "ws/export_plan.h"

using namespace ws;

namespace {

GuardCheck unmarks(uint64_t planned, uint64_t played, uint64_t written_in_window = 0, bool force = false) {
  GuardCheck c;
  c.server = "plex";
  c.planned = planned;
  c.played = played;
  c.written_in_window = written_in_window;
  c.force = force;
  return c;
}

MediaItem film(const std::string& server, int i, bool watched, int64_t played_at = 0) {
  MediaItem item;
  item.server = server;
  item.item_id = server + std::to_string(i);
  item.type = MediaType::movie;
  item.title = "Film " + std::to_string(i);
  item.guids["imdb"] = "tt" + std::to_string(1000000 + i);
  item.watched = watched;
  item.played_at = played_at;
  item.added_at = 1000;
  return item;
}

}  // namespace

TEST_CASE("the export guard lets five unmarks through and refuses six of fifty", "[export][guard]") {
  const GuardPolicy policy;  // 10 %, floor 5, 24 h
  CHECK_FALSE(check_export_guard(unmarks(5, 50), policy).tripped);
  CHECK_FALSE(check_export_guard(unmarks(5, 5), policy).tripped);  // the floor: a small library may lose 5
  auto six = check_export_guard(unmarks(6, 50), policy);
  CHECK(six.tripped);
  CHECK(six.refused);
  CHECK_FALSE(check_export_guard(unmarks(6, 60), policy).tripped);  // exactly 10 %
  CHECK_FALSE(check_export_guard(unmarks(0, 0, 100), policy).tripped);  // nothing planned: nothing to refuse
}

TEST_CASE("the export guard counts the unmarks written in its window with the planned ones", "[export][guard]") {
  const GuardPolicy policy;
  // Five false unmarks an hour: the first five pass, the next five (45 still played, 50 when the
  // window began) do not.
  CHECK_FALSE(check_export_guard(unmarks(5, 50, 0), policy).tripped);
  auto second_hour = check_export_guard(unmarks(5, 45, 5), policy);
  CHECK(second_hour.refused);
  CHECK_THAT(second_hour.message, Catch::Contains("plex") && Catch::Contains("5 of 45") &&
                                      Catch::Contains("5 unmarks were already written there in the last 24h") &&
                                      Catch::Contains("10 in 24h") && Catch::Contains("--force"));
  // One more on a large library stays within the share.
  CHECK_FALSE(check_export_guard(unmarks(1, 995, 5), policy).tripped);
}

TEST_CASE("the refusal message says the numbers, the share and how to override", "[export][guard]") {
  GuardPolicy policy;
  policy.share = 0.25;
  policy.window_s = 3600;
  auto d = check_export_guard(unmarks(20, 20), policy);
  CHECK(d.refused);
  CHECK(d.message ==
        "plex: the plan would unmark 20 of 20 played items, over the export guard (25%, and more than 5 in 1h); "
        "check the state, then run with --force to export anyway");
}

TEST_CASE("a tripped guard goes through with --force, and says so", "[export][guard]") {
  auto d = check_export_guard(unmarks(20, 20, 0, true), GuardPolicy{});
  CHECK(d.tripped);
  CHECK_FALSE(d.refused);
  CHECK_THAT(d.message, Catch::Contains("exported anyway (--force)"));
}

TEST_CASE("the guard's window is the store's log of written unmarks, older ones forgotten", "[export][guard]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  const int64_t day = 86'400, now = 10 * day;
  {
    auto batch = store->begin_write();
    batch.add_unmarks_written("plex", now - day - 60, 40, 0);  // a day and a minute ago: outside
    batch.add_unmarks_written("plex", now - 3600, 5, now - day);
    REQUIRE(batch.commit().ok());
  }
  GuardPolicy policy;
  const uint64_t written = store->unmarks_written("plex", now - policy.window_s);
  CHECK(written == 5);
  CHECK(check_export_guard(unmarks(5, 45, written), policy).refused);
  // A day later the five are forgotten too.
  CHECK(store->unmarks_written("plex", now + day - policy.window_s) == 0);
}

TEST_CASE("push mode recounts the server's played items before the guard decides", "[export][guard]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  // 100 films played on plex and jelly; 6 of them then unmarked on jelly.
  std::vector<MediaItem> plex, jelly, unmarked;
  for (int i = 0; i < 100; ++i) {
    plex.push_back(film("plex", i, true, 2000));
    jelly.push_back(film("jelly", i, true, 2000));
    if (i < 6) unmarked.push_back(film("jelly", i, false));
  }
  ApplyOptions first;
  first.now = 5000;
  REQUIRE(apply_items(*store, plex, first).ok());
  REQUIRE(apply_items(*store, jelly, first).ok());
  ApplyOptions later;
  later.now = 7000;
  later.last_sync = 5000;
  REQUIRE(apply_items(*store, unmarked, later).ok());

  ExportPlanOptions o;
  o.now = 8000;
  o.since = 6000;  // push mode: only the six changed records are compared
  auto plan = plan_export(*store, "plex", o);
  CHECK(plan.compared == 6);
  CHECK(plan.unplays == 6);
  CHECK(plan.played_on_server == 100);  // recounted over the whole store, not the 6 compared
  CHECK_FALSE(plan.guard_tripped());

  SECTION("with five unmarks already written in the window it trips") {
    o.unmarks_in_window = 5;
    auto windowed = plan_export(*store, "plex", o);
    CHECK(windowed.guard_tripped());
    CHECK_THAT(windowed.guard.message, Catch::Contains("6 of 100") && Catch::Contains("11 in 24h"));
  }
  SECTION("a plan with nothing to unmark costs no recount") {
    auto jelly_plan = plan_export(*store, "jelly", o);  // jelly has nothing to do
    CHECK(jelly_plan.unplays == 0);
    CHECK(jelly_plan.played_on_server == 0);  // only the compared records, all unplayed there
  }
}
