// Rule 7 of DESIGN §5 (metadata side by side, ids unioned), new records, and unmatched items.
#include <catch2/catch.hpp>

#include "mapper_testutil.h"

using namespace ws;
using namespace ws::testutil;

namespace {

MediaItem episode(const std::string& server, const std::string& item_id) {
  MediaItem item;
  item.server = server;
  item.item_id = item_id;
  item.series_id = "s-" + item_id;
  item.type = MediaType::episode;
  item.title = "Lost";
  item.episode_title = "Pilot (1)";
  item.season = 1;
  item.episode = 1;
  item.parent = {{"tvdb", "73739"}};
  item.added_at = kAdded;
  return item;
}

}  // namespace

// --- New records and unmatched items -------------------------------------------------------

TEST_CASE("a new item becomes a record with the item's state", "[mapper]") {
  SECTION("played: dated by its play") {
    const MapResult r = map_item(std::nullopt, played(movie("my_plex", "p1"), kPlayed), context("my_plex"));
    CHECK(r.created);
    CHECK_FALSE(r.unmatched);
    CHECK(r.change == ChangeKind::state);
    CHECK(r.record.watched);
    CHECK(r.record.updated == kPlayed);
    CHECK(r.record.via == "my_plex");
    CHECK(r.record.created_at == kNow);
    CHECK(r.record.updated_at == kNow);
    CHECK(r.record.id == 0);  // the store assigns it
    CHECK(r.record.title == "Heat");
    CHECK(r.record.year == 1995);
    CHECK(r.record.guids == Guids{{"imdb", "tt0113277"}, {"tmdb", "949"}});
    CHECK(r.reason.find("new movie 'Heat' (1995)") != std::string::npos);
  }
  SECTION("played without a date (an import): played, the date unknown") {
    const MapResult r = map_item(std::nullopt, played(movie("my_plex", "p1"), 0), context("my_plex"));
    CHECK(r.record.watched);
    CHECK(r.record.updated == 0);
  }
  SECTION("unplayed: dated by its added date, never now") {
    const MapResult r = map_item(std::nullopt, movie("my_plex", "p1"), context("my_plex"));
    CHECK_FALSE(r.record.watched);
    CHECK(r.record.updated == kAdded);
    CHECK(r.record.unmarked_at == 0);
  }
  SECTION("from a play event: what the server says, there is no flag to flip yet") {
    const MapResult r = map_item(std::nullopt, played(movie("my_plex", "p1"), kPlayed),
                                 context("my_plex", EventKind::tainted));
    CHECK(r.created);
    CHECK(r.record.watched);
    CHECK(r.record.metadata.at("my_plex").watched);
  }
}

TEST_CASE("items with no ids are reported, never matched", "[mapper]") {
  MediaItem item = movie("my_plex", "p9");
  std::string expected;
  SECTION("a movie without external ids") {
    item.guids.clear();
    expected = "no external ids";
  }
  SECTION("an episode without its own or series ids") {
    item = episode("my_plex", "p9");
    item.parent.clear();
    expected = "no series ids";
  }
  SECTION("an episode with series ids but no episode number") {
    item = episode("my_plex", "p9");
    item.episode = -1;
    expected = "no season and episode numbers";
  }
  const MapResult r = map_item(std::nullopt, item, context("my_plex"));
  CHECK(r.unmatched);
  CHECK_FALSE(r.created);
  CHECK(r.change == ChangeKind::none);
  CHECK(r.record == Record{});
  CHECK(r.reason.find("my_plex") != std::string::npos);
  CHECK(r.reason.find("p9") != std::string::npos);
  CHECK(r.reason.find(expected) != std::string::npos);
}

TEST_CASE("an episode matches by its series ids alone", "[mapper]") {
  const MapResult r = map_item(std::nullopt, episode("my_jelly", "j1"), context("my_jelly"));
  CHECK(r.created);
  CHECK(r.record.type == MediaType::episode);
  CHECK(r.record.guids.empty());
  CHECK(r.record.parent == Guids{{"tvdb", "73739"}});
  CHECK(r.record.season == 1);
  CHECK(r.record.episode == 1);
}

TEST_CASE("a legacy relative guid is enough to match and names the series", "[mapper]") {
  MediaItem item = episode("my_plex", "p1");
  item.parent.clear();
  item.season = -1;
  item.episode = -1;
  item.relative = RelativeGuid{"tvdb", "73739", 1, 2};
  const MapResult r = map_item(std::nullopt, item, context("my_plex"));
  REQUIRE(r.created);
  CHECK(r.record.parent == Guids{{"tvdb", "73739"}});
  CHECK(r.record.season == 1);
  CHECK(r.record.episode == 2);
}

TEST_CASE("an item without ids still maps onto the record it resolved to", "[mapper]") {
  // A webhook resolved by the server's own id carries no external ids: it is not unmatched.
  const Record rec = record_of(movie("my_plex", "p1"));
  MediaItem item = played(movie("my_plex", "p1"), kLater);
  item.guids.clear();
  const MapResult r = map_item(rec, item, context("my_plex"));
  CHECK_FALSE(r.unmatched);
  CHECK(r.record.watched);
  CHECK(r.record.guids == rec.guids);
}

// --- Rule 7: metadata side by side, ids unioned --------------------------------------------

TEST_CASE("metadata of every server is kept side by side", "[mapper]") {
  const Record rec = record_of(played(movie("my_plex", "p1"), kPlayed));
  MediaItem item = movie("my_jelly", "0123456789abcdef0123456789abcdef");
  item.series_id = "";
  item.library_id = "lib-movies";
  item.path = "/data/Heat.mkv";
  item.progress_ms = 1'000;
  const MapResult r = map_item(rec, item, context("my_jelly"));
  // Its short position is kept as Jellyfin's news (judged by Jellyfin's report, which says
  // unplayed); export and display leave it aside on a played record.
  CHECK(r.change == ChangeKind::progress);
  REQUIRE(r.record.metadata.size() == 2);
  CHECK(r.record.metadata.at("my_plex") == rec.metadata.at("my_plex"));
  const ServerMeta& jelly = r.record.metadata.at("my_jelly");
  CHECK(jelly.item_id == item.item_id);
  CHECK(jelly.library_id == "lib-movies");
  CHECK(jelly.added_at == kAdded);
  CHECK(jelly.progress_ms == 1'000);
  CHECK_FALSE(jelly.watched);
  CHECK(jelly.played_at == 0);
  // Jellyfin shows the film for the first time, unplayed while the state is played: the next
  // push export must look at the record again to mark it played there (rule 2), so updated_at
  // moves...
  CHECK(r.record.updated_at == kNow);
  // ...while metadata alone (its own position, moved a few seconds: noise) is not worth an export.
  Record seen = r.record;
  seen.updated_at = kLastSync;
  item.progress_ms = 4'000;
  const MapResult moved = map_item(seen, item, context("my_jelly"));
  CHECK(moved.change == ChangeKind::metadata);
  CHECK(moved.record.metadata.at("my_jelly").progress_ms == 4'000);
  CHECK(moved.record.updated_at == kLastSync);
  // A file moved or renamed changes nothing stored: servers' paths and titles are not kept
  // (DESIGN §5), so a re-import that differs only there writes nothing.
  Record settled = moved.record;
  item.path = "/data/Heat (1995).mkv";
  item.title = "Heat (Director's Cut)";
  CHECK(map_item(settled, item, context("my_jelly")).change == ChangeKind::none);
}

TEST_CASE("episode metadata keeps the series id; the record keeps the series title", "[mapper]") {
  const MapResult r = map_item(std::nullopt, episode("my_emby", "123"), context("my_emby"));
  const ServerMeta& meta = r.record.metadata.at("my_emby");
  CHECK(meta.series_id == "s-123");
  CHECK(r.record.title == "Lost");
}

TEST_CASE("an event with fewer fields keeps what the import stored", "[mapper]") {
  const Record rec = record_of(movie("my_plex", "p1"));
  MediaItem event;
  event.server = "my_plex";
  event.item_id = "p1";
  event.type = MediaType::movie;
  const MapResult r = map_item(rec, event, context("my_plex", EventKind::tainted));
  CHECK(r.change == ChangeKind::none);
  const ServerMeta& meta = r.record.metadata.at("my_plex");
  CHECK(meta.item_id == "p1");
  CHECK(meta.library_id == "1");
  CHECK(meta.added_at == kAdded);  // rule 2 compares it: losing it would hide the next unmark
}

TEST_CASE("ids are unioned", "[mapper]") {
  const Record rec = record_of(movie("my_plex", "p1"));  // imdb + tmdb
  MediaItem item = movie("my_jelly", "j1");
  item.guids = {{"imdb", "tt9999999"}, {"tvdb", "1234"}};  // a conflicting imdb, a new tvdb

  const MapResult r = map_item(rec, item, context("my_jelly"));
  CHECK(r.change == ChangeKind::metadata);
  CHECK(r.record.guids == Guids{{"imdb", "tt0113277"}, {"tmdb", "949"}, {"tvdb", "1234"}});

  SECTION("series ids too") {
    const Record ep = record_of(episode("my_plex", "p2"));
    MediaItem other = episode("my_jelly", "j2");
    other.parent = {{"tvdb", "1"}, {"tmdb", "4607"}};
    other.guids = {{"tvdb", "127131"}};
    const MapResult e = map_item(ep, other, context("my_jelly"));
    // Two values of one source: the smaller, whichever came first.
    CHECK(e.record.parent == Guids{{"tvdb", "1"}, {"tmdb", "4607"}});
    CHECK(e.record.guids == Guids{{"tvdb", "127131"}});
  }
}

TEST_CASE("unknown titles, years and numbers are filled in, known ones kept", "[mapper]") {
  Record rec = record_of(episode("my_plex", "p1"));
  rec.title.clear();
  rec.year = 0;
  rec.season = -1;
  rec.episode = -1;
  MediaItem item = episode("my_jelly", "j1");
  item.year = 2004;
  const MapResult r = map_item(rec, item, context("my_jelly"));
  CHECK(r.record.title == "Lost");
  CHECK(r.record.year == 2004);
  CHECK(r.record.season == 1);
  CHECK(r.record.episode == 1);

  SECTION("a known title is not overwritten") {
    MediaItem renamed = episode("my_emby", "e1");
    renamed.title = "LOST (2004)";
    const MapResult again = map_item(r.record, renamed, context("my_emby"));
    CHECK(again.record.title == "Lost");
    CHECK(again.record.metadata.at("my_emby").item_id == "e1");
  }
}
