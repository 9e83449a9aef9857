// Rule 6 of DESIGN §5: multi-episode files become one record per episode.
#include <catch2/catch.hpp>

#include "mapper_testutil.h"

using namespace ws;
using namespace ws::testutil;

namespace {

MediaItem double_episode() {
  MediaItem item;
  item.server = "my_plex";
  item.item_id = "p7";
  item.type = MediaType::episode;
  item.title = "Lost";
  item.season = 1;
  item.episode = 1;
  item.episode_end = 2;
  item.guids = {{"tvdb", "127131"}};
  item.parent = {{"tvdb", "73739"}};
  item.watched = true;
  item.played_at = kPlayed;
  item.added_at = kAdded;
  return item;
}

}  // namespace

TEST_CASE("a multi-episode file becomes one item per episode", "[mapper][multi]") {
  MediaItem item = double_episode();
  item.episode_end = 3;
  const std::vector<MediaItem> parts = expand_multi_episode(item, 5);
  REQUIRE(parts.size() == 3);
  for (size_t i = 0; i < parts.size(); ++i) {
    CHECK(parts[i].episode == 1 + static_cast<int>(i));
    CHECK(parts[i].episode_end == 3);
    CHECK(parts[i].season == 1);
    CHECK(parts[i].item_id == "p7");
    CHECK(parts[i].parent == item.parent);
    CHECK(parts[i].watched);
    CHECK(parts[i].played_at == kPlayed);
  }
  // The file's own ids name its first episode; the others match by the series.
  CHECK(parts[0].guids == item.guids);
  CHECK(parts[1].guids.empty());
  CHECK(parts[2].guids.empty());
}

TEST_CASE("multi-episode expansion is bounded", "[mapper][multi]") {
  MediaItem item = double_episode();
  item.episode_end = 400;  // a broken number must not make 400 records
  CHECK(expand_multi_episode(item, 5).size() == 5);
  CHECK(expand_multi_episode(item, 1).size() == 1);
  CHECK(expand_multi_episode(item, 0).size() == 1);
}

TEST_CASE("other items come back alone and unchanged", "[mapper][multi]") {
  MediaItem item = double_episode();
  SECTION("a single episode") { item.episode_end = -1; }
  SECTION("an end before the start") { item.episode_end = 1; }
  SECTION("an unknown episode number") { item.episode = -1; }
  SECTION("a movie") {
    item = movie("my_plex", "p1");
    item.episode_end = 3;
  }
  const std::vector<MediaItem> parts = expand_multi_episode(item, 5);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0] == item);
}

TEST_CASE("a legacy relative id follows each part of a multi-episode file", "[mapper][multi]") {
  MediaItem item = double_episode();
  item.guids.clear();
  item.parent.clear();
  item.relative = RelativeGuid{"tvdb", "73739", 1, 1};
  const std::vector<MediaItem> parts = expand_multi_episode(item, 5);
  REQUIRE(parts.size() == 2);
  REQUIRE(parts[1].relative);
  CHECK(parts[0].relative->episode == 1);
  CHECK(parts[1].relative->episode == 2);
}

TEST_CASE("each part of a multi-episode file becomes its own new record", "[mapper][multi]") {
  const std::vector<MediaItem> parts = expand_multi_episode(double_episode(), 5);
  REQUIRE(parts.size() == 2);
  const MapResult first = map_item(std::nullopt, parts[0], context("my_plex"));
  const MapResult second = map_item(std::nullopt, parts[1], context("my_plex"));
  REQUIRE(first.created);
  REQUIRE(second.created);
  CHECK(first.record.episode == 1);
  CHECK(second.record.episode == 2);
  CHECK(first.record.watched);
  CHECK(second.record.watched);
  CHECK(second.record.guids.empty());
  CHECK(second.record.parent == Guids{{"tvdb", "73739"}});
}
