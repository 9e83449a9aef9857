#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "ws/media_item.h"
#include "ws/record.h"

namespace {
ws::Record sample_record() {
  ws::Record r;
  r.id = 42;
  r.type = ws::MediaType::episode;
  r.watched = true;
  r.updated = 1700000000;
  r.via = "my_plex";
  r.title = "Série Ünïcode";
  r.year = 2011;
  r.season = 1;
  r.episode = 2;
  r.guids = {{"tvdb", "3254641"}};
  r.parent = {{"tvdb", "121361"}, {"imdb", "tt0944947"}};
  r.progress = {60000, "my_jellyfin", 1700000100};
  r.metadata["my_plex"] = ws::ServerMeta{"1234", "1200", "2", true, 1700000000, 1600000000, 0, "/tv/a.mkv", "GoT", "ep"};
  r.metadata["my_emby"].item_id = "88";
  r.metadata["my_emby"].ignored_writes = 2;
  r.metadata["my_emby"].ignored_watched = false;
  r.created_at = 1690000000;
  r.updated_at = 1700000200;
  return r;
}
}  // namespace

TEST_CASE("a record survives the binary encoding unchanged", "[record]") {
  auto r = sample_record();
  auto bytes = ws::encode_record(r);
  CHECK(bytes[0] == 1);
  CHECK(ws::decode_record(bytes) == r);
  ws::Record empty;
  CHECK(ws::decode_record(ws::encode_record(empty)) == empty);
}

TEST_CASE("undecodable record bytes raise a clear error", "[record]") {
  CHECK_THROWS_WITH(ws::decode_record(""), Catch::Contains("empty"));
  CHECK_THROWS_WITH(ws::decode_record(std::string("\x07xyz", 4)), Catch::Contains("unknown layout 7"));
  CHECK_THROWS_WITH(ws::decode_record(std::string("\x01\xc1", 2)), Catch::Contains("undecodable"));
}

TEST_CASE("a media item round-trips through JSON and rejects unknown types", "[record]") {
  ws::MediaItem item;
  item.server = "my_emby";
  item.item_id = "77";
  item.type = ws::MediaType::episode;
  item.season = 3;
  item.episode = 1;
  item.episode_end = 2;
  item.relative = ws::RelativeGuid{"tvdb", "81189", 3, 1};
  item.watched = true;
  item.played_at = 5;
  nlohmann::json j = item;
  CHECK(j.get<ws::MediaItem>() == item);
  j["type"] = "song";
  CHECK_THROWS_WITH(j.get<ws::MediaItem>(), Catch::Contains("'song'"));
}

TEST_CASE("writes are given up only after max_ignored ignored ones while the server still shows the same flag",
          "[record]") {
  ws::ServerMeta m;
  m.watched = false;
  m.ignored_watched = false;
  m.ignored_writes = 2;
  CHECK_FALSE(m.writes_given_up(3));
  m.ignored_writes = 3;
  CHECK(m.writes_given_up(3));
  CHECK_FALSE(m.writes_given_up(0));  // 0: never give up
  m.watched = true;                   // the server's own state changed since
  CHECK_FALSE(m.writes_given_up(3));
}
