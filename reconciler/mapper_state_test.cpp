// Rules 1-4 of DESIGN §5: when the watched flag moves, and when it must not.
#include <catch2/catch.hpp>

#include "mapper_testutil.h"

using namespace ws;
using namespace ws::testutil;

// --- Rule 1: played is news ---------------------------------------------------------------

TEST_CASE("a play over a never-played record marks it played whatever the dates", "[mapper]") {
  Record rec = record_of(movie("my_jelly", "j1"));  // unplayed, updated = added date
  rec.updated = kLater;  // an added date later than the play: not an event, it must not win
  REQUIRE_FALSE(rec.watched);

  const MapResult r = map_item(rec, played(movie("my_plex", "p1"), kPlayed), context("my_plex"));
  CHECK(r.change == ChangeKind::state);
  CHECK(r.record.watched);
  CHECK(r.record.updated == kPlayed);
  CHECK(r.record.via == "my_plex");
  CHECK(r.record.updated_at == kNow);
  CHECK(r.record.unmarked_at == 0);
  CHECK_FALSE(r.created);
  CHECK(r.reason.find("my_plex") != std::string::npos);
  CHECK(r.reason.find("never-played") != std::string::npos);
}

TEST_CASE("an import's play without a date marks a never-played record, its date unknown", "[mapper]") {
  // Dated 0, the oldest of plays, and not `now`: a dated play reported in the same import, before
  // or after it, must date the state either way (reconciler/import_order_test.cpp). An export
  // writes the time of the write where it needs a date.
  const Record rec = record_of(movie("my_jelly", "j1"));
  MediaItem item = played(movie("my_plex", "p1"), 0);
  const MapResult r = map_item(rec, item, context("my_plex"));
  CHECK(r.change == ChangeKind::state);
  CHECK(r.record.watched);
  CHECK(r.record.updated == 0);
  CHECK(r.record.via == "my_plex");

  SECTION("a dated play then dates it") {
    const MapResult dated = map_item(r.record, played(movie("my_emby", "e1"), kPlayed), context("my_emby"));
    CHECK(dated.record.updated == kPlayed);
    CHECK(dated.record.via == "my_emby");
  }
}

TEST_CASE("a play after an unmark re-marks, a play before it does not", "[mapper]") {
  Record rec = record_of(movie("my_jelly", "j1"));
  rec.unmarked_at = kUnmarked;
  rec.updated = kUnmarked;
  rec.via = "my_jelly";

  SECTION("a play after the unmark marks played again") {
    const MapResult r = map_item(rec, played(movie("my_plex", "p1"), kLater), context("my_plex"));
    CHECK(r.change == ChangeKind::state);
    CHECK(r.record.watched);
    CHECK(r.record.updated == kLater);
    CHECK(r.record.via == "my_plex");
  }
  SECTION("a play before the unmark stays unplayed") {
    const MapResult r = map_item(rec, played(movie("my_plex", "p1"), kPlayed), context("my_plex"));
    CHECK(r.change == ChangeKind::metadata);
    CHECK_FALSE(r.record.watched);
    CHECK(r.record.updated == kUnmarked);
    CHECK(r.record.metadata.at("my_plex").watched);  // the server's own view is still kept
  }
  SECTION("an import's play without a date never beats an unmark") {
    const MapResult r = map_item(rec, played(movie("my_plex", "p1"), 0), context("my_plex"));
    CHECK_FALSE(r.record.watched);
  }
  SECTION("a mark-played webhook without a date happens now, after the unmark") {
    const MapResult r =
        map_item(rec, played(movie("my_plex", "p1"), 0), context("my_plex", EventKind::mark));
    CHECK(r.record.watched);
    CHECK(r.record.updated == kNow);
  }
}

TEST_CASE("between plays on several servers the newest dates the state", "[mapper]") {
  // Whichever is applied first (reconciler/import_order_test.cpp): between two real events the
  // newest wins (rule 1), plays included.
  const Record rec = record_of(played(movie("my_plex", "p1"), kPlayed));
  SECTION("a newer play") {
    const MapResult r = map_item(rec, played(movie("my_jelly", "j1"), kLater), context("my_jelly"));
    // Nothing to write anywhere: it is played everywhere it was.
    CHECK(r.change == ChangeKind::metadata);
    CHECK(r.record.updated_at == rec.updated_at);
    CHECK(r.record.watched);
    CHECK(r.record.updated == kLater);
    CHECK(r.record.via == "my_jelly");
    CHECK(r.record.metadata.at("my_jelly").played_at == kLater);
  }
  SECTION("an older play leaves the state as it is") {
    const MapResult r = map_item(rec, played(movie("my_jelly", "j1"), kAdded), context("my_jelly"));
    CHECK(r.change == ChangeKind::metadata);
    CHECK(r.record.updated == kPlayed);
    CHECK(r.record.via == "my_plex");
    CHECK(r.record.updated_at == rec.updated_at);
  }
  SECTION("a play of the same date: via is the server whose name sorts first") {
    const MapResult r = map_item(rec, played(movie("my_jelly", "j1"), kPlayed), context("my_jelly"));
    CHECK(r.record.updated == kPlayed);
    CHECK(r.record.via == "my_jelly");
    const MapResult back = map_item(r.record, played(movie("my_plex", "p1"), kPlayed), context("my_plex"));
    CHECK(back.record.via == "my_jelly");
  }
}

// --- Rule 2: unplayed is subtle -----------------------------------------------------------

TEST_CASE("new media on one server does not unmark what was watched elsewhere", "[mapper]") {
  const Record rec = record_of(played(movie("my_plex", "p1"), kPlayed));
  MediaItem fresh = movie("my_jelly", "j1");
  fresh.added_at = kLater;

  const MapResult r = map_item(rec, fresh, context("my_jelly"));
  CHECK(r.change == ChangeKind::metadata);
  CHECK(r.record.watched);
  CHECK(r.record.updated == kPlayed);
  CHECK(r.record.via == "my_plex");
  REQUIRE(r.record.metadata.count("my_jelly") == 1);
  CHECK_FALSE(r.record.metadata.at("my_jelly").watched);
  CHECK(r.reason.find("stays played") != std::string::npos);
}

TEST_CASE("an unmark on another server does not unplay", "[mapper]") {
  // Played on Plex; Jellyfin has the same film, never played there, and reports it unplayed.
  Record rec = record_of(played(movie("my_plex", "p1"), kPlayed));
  rec = map_item(rec, movie("my_jelly", "j1"), context("my_jelly")).record;
  REQUIRE(rec.watched);
  const MapResult r = map_item(rec, movie("my_jelly", "j1"), context("my_jelly"));
  CHECK(r.change == ChangeKind::none);
  CHECK(r.record == rec);
  CHECK(r.record.watched);
}

TEST_CASE("an unmark on the server that had it played does propagate", "[mapper]") {
  const Record rec = record_of(played(movie("my_plex", "p1"), kPlayed));
  REQUIRE(rec.metadata.at("my_plex").watched);

  const MapResult r = map_item(rec, movie("my_plex", "p1"), context("my_plex"));
  CHECK(r.change == ChangeKind::state);
  CHECK_FALSE(r.record.watched);
  CHECK(r.record.updated == kNow);
  CHECK(r.record.unmarked_at == kNow);
  CHECK(r.record.via == "my_plex");
  CHECK(r.record.updated_at == kNow);
  CHECK_FALSE(r.record.metadata.at("my_plex").watched);
  CHECK(r.record.metadata.at("my_plex").played_at == 0);
}

TEST_CASE("an unplayed report on replaced or re-added media is not an unmark", "[mapper]") {
  const Record rec = record_of(played(movie("my_plex", "p1"), kPlayed));
  MediaItem item = movie("my_plex", "p1");
  SECTION("another item id") { item.item_id = "p2"; }
  SECTION("another added date") { item.added_at = kLater; }
  const MapResult r = map_item(rec, item, context("my_plex"));
  CHECK(r.change == ChangeKind::metadata);
  CHECK(r.record.watched);
  CHECK(r.record.unmarked_at == 0);
}

TEST_CASE("new or re-added media reported unplayed asks push-mode export to mark it there", "[mapper]") {
  // Found end to end (tests/e2e): the next push export must mark it played there (rule 2).
  Record rec = record_of(played(movie("my_plex", "p1"), kPlayed));
  SECTION("a re-added file where it was played") {
    rec = map_item(rec, played(movie("my_jelly", "j1"), kPlayed), context("my_jelly")).record;
  }
  SECTION("an item the server shows for the first time") {}
  rec.updated_at = kLastSync;
  MediaItem fresh = movie("my_jelly", "j1");
  fresh.added_at = kLater;
  const MapResult r = map_item(rec, fresh, context("my_jelly"));
  CHECK(r.record.watched);
  CHECK_FALSE(r.record.metadata.at("my_jelly").watched);
  CHECK(r.record.updated_at == kNow);
  // Reported the same way again, it is no news.
  Record again = r.record;
  again.updated_at = kLastSync;
  CHECK(map_item(again, fresh, context("my_jelly")).record.updated_at == kLastSync);
  // Nor is a server that agrees with the state (played there, not after the state's play).
  Record agreed = rec;
  CHECK(map_item(agreed, played(movie("my_jelly", "j1"), kAdded), context("my_jelly")).record.updated_at == kLastSync);
}

TEST_CASE("an explicit mark-unplayed event unmarks", "[mapper]") {
  // Jellyfin never had it played in our metadata, but the user marked it unplayed there.
  Record rec = record_of(played(movie("my_plex", "p1"), kPlayed));
  MediaItem item = movie("my_jelly", "j1");
  const MapResult r = map_item(rec, item, context("my_jelly", EventKind::mark));
  CHECK(r.change == ChangeKind::state);
  CHECK_FALSE(r.record.watched);
  CHECK(r.record.unmarked_at == kNow);
  CHECK(r.record.via == "my_jelly");
}

TEST_CASE("an unmark of an unplayed record is kept as its newest event", "[mapper]") {
  // Had the play below come first, the unmark would have unplayed it: so it must not re-mark
  // when it comes second.
  const Record rec = record_of(movie("my_plex", "p1"));
  const MapResult r = map_item(rec, movie("my_jelly", "j1"), context("my_jelly", EventKind::mark));
  CHECK(r.change == ChangeKind::state);
  CHECK_FALSE(r.record.watched);
  CHECK(r.record.unmarked_at == kNow);
  CHECK(r.record.updated == kNow);
  CHECK(r.record.via == "my_jelly");
  const MapResult older_play = map_item(r.record, played(movie("my_emby", "e1"), kLater), context("my_emby"));
  CHECK_FALSE(older_play.record.watched);
}

// --- Rule 3: events ------------------------------------------------------------------------

TEST_CASE("play and stop events never flip the watched flag", "[mapper]") {
  SECTION("a play event reporting played does not mark") {
    const Record rec = record_of(movie("my_jelly", "j1"));
    const MapResult r = map_item(rec, played(movie("my_plex", "p1"), kLater),
                                 context("my_plex", EventKind::tainted));
    CHECK_FALSE(r.record.watched);
    CHECK(r.change == ChangeKind::metadata);
  }
  SECTION("a stop event reporting unplayed on the server that had it played does not unmark") {
    const Record rec = record_of(played(movie("my_plex", "p1"), kPlayed));
    const MapResult r =
        map_item(rec, movie("my_plex", "p1"), context("my_plex", EventKind::tainted));
    CHECK(r.record.watched);
    CHECK(r.record.unmarked_at == 0);
    // The server's own flag is kept too, so the next import still recognises an unmark there.
    CHECK(r.record.metadata.at("my_plex").watched);
    CHECK(r.record.metadata.at("my_plex").played_at == kPlayed);
  }
}

TEST_CASE("a completed play marks played but never unmarks", "[mapper]") {
  SECTION("it marks played even when the payload still says unplayed") {
    const Record rec = record_of(movie("my_emby", "e1"));
    const MapResult r =
        map_item(rec, movie("my_emby", "e1"), context("my_emby", EventKind::completed_play));
    CHECK(r.change == ChangeKind::state);
    CHECK(r.record.watched);
    CHECK(r.record.updated == kNow);
    CHECK(r.record.metadata.at("my_emby").watched);
    CHECK(r.record.metadata.at("my_emby").played_at == kNow);
  }
  SECTION("its own play date is used when given") {
    const Record rec = record_of(movie("my_emby", "e1"));
    const MapResult r = map_item(rec, played(movie("my_emby", "e1"), kLater),
                                 context("my_emby", EventKind::completed_play));
    CHECK(r.record.updated == kLater);
  }
  SECTION("it never unmarks a played record; it is its newest play") {
    const Record rec = record_of(played(movie("my_emby", "e1"), kPlayed));
    const MapResult r =
        map_item(rec, movie("my_emby", "e1"), context("my_emby", EventKind::completed_play));
    CHECK(r.record.watched);
    CHECK(r.record.unmarked_at == 0);
    CHECK(r.record.updated == kNow);
  }
}

// --- Rule 4: stale reports -----------------------------------------------------------------

TEST_CASE("a stale report changes metadata only", "[mapper]") {
  // Unmarked at kUnmarked; Plex reports a play at kLater, after the unmark but before Plex's
  // last sync: it was already seen, so it must not re-mark.
  Record rec = record_of(movie("my_jelly", "j1"));
  rec.unmarked_at = kUnmarked;
  rec.updated = kUnmarked;
  const MapResult r = map_item(rec, played(movie("my_plex", "p1"), kLater),
                               context("my_plex", EventKind::import, kLastSync));
  CHECK(r.change == ChangeKind::metadata);
  CHECK_FALSE(r.record.watched);
  CHECK(r.record.metadata.at("my_plex").watched);
  CHECK(r.reason.find("stale") != std::string::npos);

  SECTION("the same play is fresh without a last sync") {
    const MapResult fresh =
        map_item(rec, played(movie("my_plex", "p1"), kLater), context("my_plex"));
    CHECK(fresh.record.watched);
  }
}

TEST_CASE("a stale play over a never-played record still marks played", "[mapper]") {
  const Record rec = record_of(movie("my_jelly", "j1"));
  const MapResult r = map_item(rec, played(movie("my_plex", "p1"), kPlayed),
                               context("my_plex", EventKind::import, kLastSync));
  CHECK(r.change == ChangeKind::state);
  CHECK(r.record.watched);
  CHECK(r.record.updated == kPlayed);
}

TEST_CASE("a stale unmark still unmarks", "[mapper]") {
  // The added date (kAdded) is before the last sync: unplayed reports are always "old".
  const Record rec = record_of(played(movie("my_plex", "p1"), kPlayed));
  const MapResult r =
      map_item(rec, movie("my_plex", "p1"), context("my_plex", EventKind::import, kLastSync));
  CHECK(r.change == ChangeKind::state);
  CHECK_FALSE(r.record.watched);
}

// --- Nothing new ---------------------------------------------------------------------------

TEST_CASE("the same report twice changes nothing", "[mapper]") {
  const MediaItem item = played(movie("my_plex", "p1"), kPlayed);
  const Record rec = record_of(item);
  const MapResult r = map_item(rec, item, context("my_plex", EventKind::import, kLastSync));
  CHECK(r.change == ChangeKind::none);
  CHECK(r.record == rec);
  CHECK(r.reason.find("nothing changed") != std::string::npos);
}

TEST_CASE("event and change kinds have names", "[mapper]") {
  CHECK(to_string(EventKind::import) == "import");
  CHECK(to_string(EventKind::mark) == "mark");
  CHECK(to_string(EventKind::completed_play) == "completed_play");
  CHECK(to_string(EventKind::tainted) == "tainted");
  CHECK(to_string(ChangeKind::none) == "none");
  CHECK(to_string(ChangeKind::metadata) == "metadata");
  CHECK(to_string(ChangeKind::progress) == "progress");
  CHECK(to_string(ChangeKind::state) == "state");
}

TEST_CASE("a mark-unplayed event older than the record's play leaves it played", "[mapper]") {
  // Webhooks map at their own time and may arrive out of order: the newest real event wins.
  Record rec = record_of(played(movie("my_plex", "p1"), kLater));
  MapContext ctx = context("my_jelly", EventKind::mark);
  ctx.now = kUnmarked;  // the unmark happened before the play at kLater
  const MapResult r = map_item(rec, movie("my_jelly", "j1"), ctx);
  CHECK(r.record.watched);
  CHECK(r.record.updated == kLater);
  // Kept, so that a play older than the unmark reported later does not count either way.
  CHECK(r.record.unmarked_at == kUnmarked);
  CHECK(r.change != ChangeKind::state);
  CHECK_THAT(r.reason, Catch::Contains("before the play"));
}
