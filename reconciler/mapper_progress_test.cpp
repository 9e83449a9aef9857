// Rule 5 of DESIGN §5: the resume position.
#include <catch2/catch.hpp>

#include "mapper_testutil.h"

using namespace ws;
using namespace ws::testutil;

namespace {

constexpr int64_t kMinute = 60'000;

MediaItem at_position(MediaItem item, int64_t ms, int64_t reported_at) {
  item.progress_ms = ms;
  item.played_at = reported_at;  // imports date a position by the last-played date
  return item;
}

// An unplayed record whose position (20 min, from Jellyfin) was reported at kUnmarked.
Record in_progress() {
  Record rec = record_of(movie("my_jelly", "j1"));
  rec.progress = Progress{20 * kMinute, "my_jelly", kUnmarked};
  return rec;
}

}  // namespace

TEST_CASE("a new position is a progress change", "[mapper][progress]") {
  const Record rec = in_progress();
  const MapResult r =
      map_item(rec, at_position(movie("my_plex", "p1"), 30 * kMinute, kLater), context("my_plex"));
  CHECK(r.change == ChangeKind::progress);
  CHECK(r.record.progress == Progress{30 * kMinute, "my_plex", kLater});
  CHECK(r.record.updated_at == kNow);
  CHECK_FALSE(r.record.watched);
  CHECK(r.record.metadata.at("my_plex").progress_ms == 30 * kMinute);
  CHECK(r.reason.find("resume position 30:00") != std::string::npos);
}

TEST_CASE("a server's position that moved a few seconds is noise", "[mapper][progress]") {
  // Judged against what the same server said before, never against another server's position:
  // that one may or may not have been applied yet in an import (import_order_test.cpp).
  Record rec = in_progress();
  rec.metadata.at("my_jelly").progress_ms = 20 * kMinute;
  MediaItem item = at_position(movie("my_jelly", "j1"), 20 * kMinute + 4'000, kLater);
  MapContext ctx = context("my_jelly");

  SECTION("within the minimum move") {
    const MapResult r = map_item(rec, item, ctx);
    CHECK(r.record.progress == rec.progress);
    CHECK(r.change == ChangeKind::metadata);  // the server's own position is still recorded
    CHECK(r.record.metadata.at("my_jelly").progress_ms == item.progress_ms);
    CHECK(r.record.updated_at == rec.updated_at);  // nothing to export
  }
  SECTION("past a smaller minimum move") {
    ctx.options.progress_min_delta_ms = 1'000;
    const MapResult r = map_item(rec, item, ctx);
    CHECK(r.change == ChangeKind::progress);
    CHECK(r.record.progress.ms == item.progress_ms);
    CHECK(r.record.updated_at == kNow);
  }
}

TEST_CASE("another server reporting the same position later is metadata, nothing to push", "[mapper][progress]") {
  // Jellyfin and Emby echo the position an export wrote there as a webhook: the record's position
  // takes the newer report (the join of every report), but there is nothing to write anywhere,
  // and a push would race the export still writing it.
  const Record rec = in_progress();
  SECTION("the same position") {
    const MapResult r = map_item(rec, at_position(movie("my_emby", "e1"), 20 * kMinute, kLater), context("my_emby"));
    CHECK(r.change == ChangeKind::metadata);
    CHECK(r.record.progress == Progress{20 * kMinute, "my_emby", kLater});
    CHECK(r.record.updated_at == rec.updated_at);
  }
  SECTION("a position a few seconds off") {
    const MapResult r =
        map_item(rec, at_position(movie("my_emby", "e1"), 20 * kMinute + 3'000, kLater), context("my_emby"));
    CHECK(r.change == ChangeKind::metadata);
    CHECK(r.record.updated_at == rec.updated_at);
  }
  SECTION("a position that really moved") {
    const MapResult r = map_item(rec, at_position(movie("my_emby", "e1"), 25 * kMinute, kLater), context("my_emby"));
    CHECK(r.change == ChangeKind::progress);
    CHECK(r.record.updated_at == kNow);
  }
}

TEST_CASE("a zero position never resets another server's position", "[mapper][progress]") {
  const Record rec = in_progress();
  SECTION("on an import") {
    const MapResult r = map_item(rec, movie("my_plex", "p1"), context("my_plex"));
    CHECK(r.record.progress == rec.progress);
  }
  SECTION("on an event") {
    const MapResult r =
        map_item(rec, movie("my_plex", "p1"), context("my_plex", EventKind::tainted));
    CHECK(r.record.progress == rec.progress);
  }
}

TEST_CASE("an older position report is ignored", "[mapper][progress]") {
  const Record rec = in_progress();
  const MapResult r = map_item(rec, at_position(movie("my_plex", "p1"), 50 * kMinute, kPlayed),
                               context("my_plex"));
  CHECK(r.record.progress == rec.progress);
  CHECK(r.change == ChangeKind::metadata);
  CHECK(r.record.updated_at == rec.updated_at);
}

TEST_CASE("a position without a date counts as reported now", "[mapper][progress]") {
  const Record rec = in_progress();
  const MapResult r =
      map_item(rec, at_position(movie("my_plex", "p1"), 50 * kMinute, 0), context("my_plex"));
  CHECK(r.record.progress == Progress{50 * kMinute, "my_plex", kNow});
}

TEST_CASE("a position from a play event moves progress but not the state", "[mapper][progress]") {
  // A webhook's played_at is the last finished play, older than the position it carries.
  Record rec = record_of(played(movie("my_jelly", "j1"), kPlayed));
  rec.progress = Progress{0, "my_jelly", kPlayed};
  const MapResult r = map_item(rec, at_position(played(movie("my_plex", "p1"), kPlayed), 40 * kMinute, kPlayed),
                               context("my_plex", EventKind::tainted));
  CHECK(r.change == ChangeKind::progress);
  CHECK(r.record.progress == Progress{40 * kMinute, "my_plex", kNow});
  CHECK(r.record.watched);
}

TEST_CASE("a rewatch's position is kept only past the threshold", "[mapper][progress]") {
  const Record rec = record_of(played(movie("my_plex", "p1"), kPlayed));
  MediaItem item = at_position(played(movie("my_jelly", "j1"), kLater), 0, kLater);

  SECTION("a short position on a played item is the tail of the last play") {
    item.progress_ms = 2 * kMinute;
    const MapResult r = map_item(rec, item, context("my_jelly"));
    CHECK(r.record.progress.ms == 0);
  }
  SECTION("a position past the threshold is a rewatch") {
    item.progress_ms = 10 * kMinute;
    const MapResult r = map_item(rec, item, context("my_jelly"));
    CHECK(r.record.progress == Progress{10 * kMinute, "my_jelly", kLater});
  }
  SECTION("the threshold is an option") {
    item.progress_ms = 2 * kMinute;
    MapContext ctx = context("my_jelly");
    ctx.options.rewatch_threshold_ms = kMinute;
    const MapResult r = map_item(rec, item, ctx);
    CHECK(r.record.progress.ms == 2 * kMinute);
  }
  SECTION("a short position on an unplayed item is kept") {
    const Record unplayed = record_of(movie("my_plex", "p1"));
    item.watched = false;
    item.progress_ms = 2 * kMinute;
    const MapResult r = map_item(unplayed, item, context("my_jelly"));
    CHECK(r.record.progress.ms == 2 * kMinute);
  }
}

TEST_CASE("marking played clears a position reported before the play", "[mapper][progress]") {
  const Record rec = in_progress();  // 20 min at kUnmarked
  const MapResult r = map_item(rec, played(movie("my_plex", "p1"), kLater), context("my_plex"));
  CHECK(r.change == ChangeKind::state);
  CHECK(r.record.progress == Progress{});

  SECTION("and an older position report stays ignored afterwards") {
    const MapResult again = map_item(
        r.record, at_position(movie("my_jelly", "j1"), 20 * kMinute, kUnmarked), context("my_jelly"));
    CHECK(again.record.progress.ms == 0);
  }
}

TEST_CASE("a completed play's stop position is not a resume point", "[mapper][progress]") {
  const Record rec = record_of(movie("my_emby", "e1"));
  MediaItem item = movie("my_emby", "e1");
  item.progress_ms = 118 * kMinute;  // where the play ended
  const MapResult r = map_item(rec, item, context("my_emby", EventKind::completed_play));
  CHECK(r.record.watched);
  CHECK(r.record.progress.ms == 0);
}

TEST_CASE("a new record takes the item's position", "[mapper][progress]") {
  SECTION("unplayed") {
    const MapResult r = map_item(std::nullopt, at_position(movie("my_plex", "p1"), 7 * kMinute, kLater),
                                 context("my_plex"));
    CHECK(r.record.progress == Progress{7 * kMinute, "my_plex", kLater});
  }
  SECTION("played, under the rewatch threshold") {
    const MapResult r = map_item(
        std::nullopt, at_position(played(movie("my_plex", "p1"), kLater), 2 * kMinute, kLater),
        context("my_plex"));
    CHECK(r.record.progress.ms == 0);
  }
}
