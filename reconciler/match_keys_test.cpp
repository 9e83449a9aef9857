#include <catch2/catch.hpp>

#include "ws/match_keys.h"

namespace {

ws::MediaItem episode_item() {
  ws::MediaItem item;
  item.server = "plex";
  item.item_id = "1234";
  item.type = ws::MediaType::episode;
  item.season = 2;
  item.episode = 5;
  item.guids = {{"tvdb", "777"}};
  item.parent = {{"tvdb", "81189"}, {"imdb", "tt0903747"}};
  return item;
}

}  // namespace

TEST_CASE("guid keys carry the source, the value and the type", "[match_keys]") {
  ws::Guids guids{{"imdb", "tt0111161"}, {"tmdb", "278"}};
  CHECK(ws::guid_keys(guids, ws::MediaType::movie) ==
        std::vector<std::string>{"guid_imdb://tt0111161/movie", "guid_tmdb://278/movie"});
  CHECK(ws::guid_keys(guids, ws::MediaType::episode) ==
        std::vector<std::string>{"guid_imdb://tt0111161/episode", "guid_tmdb://278/episode"});
  CHECK(ws::guid_keys({}, ws::MediaType::movie).empty());
}

TEST_CASE("relative keys name the series id, the season and the episode", "[match_keys]") {
  SECTION("one key per series id") {
    ws::Guids parent{{"tvdb", "81189"}, {"tmdb", "1396"}};
    CHECK(ws::relative_keys(parent, 1, 3) ==
          std::vector<std::string>{"rguid_tmdb://1396/1/3", "rguid_tvdb://81189/1/3"});
  }
  SECTION("specials (season 0) have keys") {
    CHECK(ws::relative_keys({{"tvdb", "1"}}, 0, 1) == std::vector<std::string>{"rguid_tvdb://1/0/1"});
  }
  SECTION("no season or episode number, no key") {
    CHECK(ws::relative_keys({{"tvdb", "1"}}, -1, 3).empty());
    CHECK(ws::relative_keys({{"tvdb", "1"}}, 1, -1).empty());
  }
  SECTION("a legacy relative guid is a key of its own, not repeated") {
    ws::RelativeGuid legacy{"tvdb", "81189", 2, 5};
    CHECK(ws::relative_keys({}, -1, -1, legacy) == std::vector<std::string>{"rguid_tvdb://81189/2/5"});
    CHECK(ws::relative_keys({{"tvdb", "81189"}}, 2, 5, legacy) == std::vector<std::string>{"rguid_tvdb://81189/2/5"});
  }
}

TEST_CASE("backend keys are server and item id, with an episode marker for multi-episode parts", "[match_keys]") {
  CHECK(ws::backend_key("plex", "1234") == "plex/1234");
  CHECK(ws::backend_key("plex", "").empty());
  CHECK(ws::backend_key("", "1234").empty());

  auto item = episode_item();
  CHECK(ws::backend_key(item) == "plex/1234");
  item.episode_end = 6;
  CHECK(ws::backend_key(item) == "plex/1234/E5");

  ws::Record record;
  record.type = ws::MediaType::episode;
  record.episode = 6;
  record.metadata["plex"].item_id = "1234";
  record.metadata["plex"].episode_end = 6;
  record.metadata["jelly"].item_id = "abc";
  record.metadata["nothing"] = {};  // no item id: no key
  CHECK(ws::backend_keys(record) == std::vector<std::string>{"jelly/abc", "plex/1234/E6"});
}

TEST_CASE("an item's match keys list relative keys before guid keys", "[match_keys]") {
  auto item = episode_item();
  CHECK(ws::match_keys(item) == std::vector<std::string>{"rguid_imdb://tt0903747/2/5", "rguid_tvdb://81189/2/5",
                                                         "guid_tvdb://777/episode"});
  SECTION("a movie has no relative keys, whatever its parent says") {
    item.type = ws::MediaType::movie;
    CHECK(ws::match_keys(item) == std::vector<std::string>{"guid_tvdb://777/movie"});
  }
  SECTION("a record gives the same keys as the item it was made from") {
    ws::Record record;
    record.type = ws::MediaType::episode;
    record.season = 2;
    record.episode = 5;
    record.guids = item.guids;
    record.parent = item.parent;
    CHECK(ws::match_keys(record) == ws::match_keys(item));
  }
}

TEST_CASE("an item without guids or series ids has no external keys", "[match_keys]") {
  ws::MediaItem item;
  item.server = "plex";
  item.item_id = "9";
  CHECK_FALSE(ws::has_external_keys(item));
  item.type = ws::MediaType::episode;
  item.season = 1;
  item.episode = 1;
  CHECK_FALSE(ws::has_external_keys(item));  // numbers alone are no key
  item.parent = {{"tvdb", "5"}};
  CHECK(ws::has_external_keys(item));
}
