#include "ws/mediabrowser_items.h"

#include <catch2/catch.hpp>

#include "test_data.h"

using namespace ws;
using nlohmann::json;

namespace {

MediaItem parse_ok(const json& entry) {
  auto item = parse_mediabrowser_item(entry, "my_jf");
  INFO((item ? std::string() : item.error().message));
  REQUIRE(item.ok());
  return *item;
}

}  // namespace

TEST_CASE("a Jellyfin items page is read into normalized items", "[mediabrowser_items]") {
  const json body = testing::load_test_json("jellyfin_items_page.json");
  const json& list = mediabrowser_items_list(body);
  REQUIRE(list.size() == 3);

  SECTION("a played movie with a seven-digit fraction date") {
    const MediaItem item = parse_ok(list[0]);
    CHECK(item.server == "my_jf");
    CHECK(item.item_id == "a1b2c3d4e5f60718293a4b5c6d7e8f90");
    CHECK(item.type == MediaType::movie);
    CHECK(item.title == "The Lighthouse Keeper");
    CHECK(item.year == 1999);
    CHECK(item.guids == Guids{{"imdb", "tt0100101"}, {"tmdb", "101"}});  // TmdbCollection is not the movie
    CHECK(item.watched);
    CHECK(item.play_count == 2);
    CHECK(item.played_at == 1650000000);
    CHECK(item.added_at == 1600000000);
    CHECK(item.path == "/media/films/The Lighthouse Keeper (1999).mkv");
  }
  SECTION("a two-episode file in progress, year from PremiereDate") {
    const MediaItem item = parse_ok(list[1]);
    CHECK(item.type == MediaType::episode);
    CHECK(item.title == "Harbour Lights");
    CHECK(item.episode_title == "Pilot");
    CHECK(item.series_id == "c1b2c3d4e5f60718293a4b5c6d7e8f92");
    CHECK(item.season == 1);
    CHECK(item.episode == 1);
    CHECK(item.episode_end == 2);
    CHECK(item.year == 2010);
    CHECK(item.guids == Guids{{"tvdb", "4500501"}});
    CHECK_FALSE(item.watched);
    CHECK(item.played_at == 0);
    CHECK(item.progress_ms == 1200000);
    CHECK(item.added_at == 1500000000);
  }
  SECTION("a folder is refused") {
    auto item = parse_mediabrowser_item(list[2], "my_jf");
    REQUIRE_FALSE(item.ok());
    CHECK_THAT(item.error().message, Catch::Contains("Folder"));
  }
  CHECK(body.at("TotalRecordCount") == 3);
}

TEST_CASE("a Jellyfin series gives its ids, nulls tolerated", "[mediabrowser_items]") {
  const SeriesInfo info = parse_mediabrowser_series(testing::load_test_json("jellyfin_series.json"));
  CHECK(info.guids == Guids{{"imdb", "tt1500500"}, {"tmdb", "45500"}, {"tvdb", "78901"}});
  CHECK(info.year == 2010);
}

TEST_CASE("Emby items: numeric ids, Tv Maze, zero ids and null UserData", "[mediabrowser_items]") {
  const json body = testing::load_test_json("emby_items_page.json");
  const json& list = mediabrowser_items_list(body);
  REQUIRE(list.size() == 2);
  const MediaItem episode = parse_ok(list[0]);
  CHECK(episode.item_id == "7001");
  CHECK(episode.series_id == "7000");
  CHECK(episode.guids == Guids{{"tvmaze", "55"}});
  CHECK(episode.watched);
  CHECK(episode.played_at == 1614834367);
  CHECK(episode.added_at == 1546336800);
  CHECK(episode.year == 2006);
  CHECK(episode.episode_end == -1);
  const MediaItem movie = parse_ok(list[1]);
  CHECK(movie.guids.empty());
  CHECK_FALSE(movie.watched);
  CHECK(movie.title == "No Ids At All");
}

TEST_CASE("MediaBrowser input that is not an item gives an error, never a crash", "[mediabrowser_items]") {
  CHECK_FALSE(parse_mediabrowser_item(json(nullptr), "s").ok());
  CHECK_FALSE(parse_mediabrowser_item(json{{"Type", "Movie"}}, "s").ok());
  CHECK(mediabrowser_items_list(json::array()).empty());
  const auto odd = parse_mediabrowser_item(
      json{{"Id", 5}, {"Type", "movie"}, {"ProviderIds", "x"}, {"UserData", {{"Played", "yes"}, {"LastPlayedDate", 3}}}}, "s");
  REQUIRE(odd.ok());
  CHECK(odd->item_id == "5");
  CHECK(odd->watched);
  CHECK(odd->played_at == 0);
}

TEST_CASE("the recorded MediaBrowser examples are read", "[mediabrowser_items][fixtures]") {
  const json recorded = testing::load_fixture_json("emby/watchstate_mediabrowser_synthetic.json");
  if (recorded.is_null()) {
    WARN(testing::kFixturesAbsent << testing::fixtures_dir().string());
    return;
  }
  for (const auto& entry : mediabrowser_items_list(recorded.at("library_items"))) {
    const MediaItem item = parse_ok(entry);
    CHECK(item.type == MediaType::movie);
    CHECK(item.progress_ms == 90000);
    CHECK(item.added_at > 0);
  }
  const MediaItem episode = parse_ok(recorded.at("metadata_episode"));
  CHECK(episode.type == MediaType::episode);
  CHECK(episode.watched);
  CHECK(episode.season == 1);
  CHECK(episode.title == "Test Show");
  const MediaItem from_webhook = parse_ok(recorded.at("webhook_emby").at("Item"));
  CHECK(from_webhook.item_id == "item-1");
}
