#include "ws/plex_items.h"

#include <catch2/catch.hpp>

#include "test_data.h"

using namespace ws;
using nlohmann::json;

namespace {

MediaItem parse_ok(const json& metadata) {
  auto item = parse_plex_item(metadata, "my_plex");
  INFO((item ? std::string() : item.error().message));
  REQUIRE(item.ok());
  return *item;
}

}  // namespace

TEST_CASE("a Plex movie page is read into normalized items", "[plex_items]") {
  const json body = testing::load_test_json("plex_movies_page.json");
  const json& list = plex_metadata_list(body);
  REQUIRE(list.size() == 5);

  SECTION("a watched movie with new-style guids") {
    const MediaItem item = parse_ok(list[0]);
    CHECK(item.server == "my_plex");
    CHECK(item.item_id == "101");
    CHECK(item.type == MediaType::movie);
    CHECK(item.title == "The Lighthouse Keeper");
    CHECK(item.year == 1999);
    CHECK(item.library_id == "1");
    CHECK(item.guids == Guids{{"imdb", "tt0100101"}, {"tmdb", "101"}, {"tvdb", "9101"}});
    CHECK(item.watched);
    CHECK(item.play_count == 2);
    CHECK(item.played_at == 1650000000);
    CHECK(item.added_at == 1600000000);
    CHECK(item.progress_ms == 0);
    CHECK(item.path == "/media/films/The Lighthouse Keeper (1999).mkv");
  }
  SECTION("numbers sent as strings and a legacy imdb agent") {
    const MediaItem item = parse_ok(list[1]);
    CHECK(item.item_id == "102");
    CHECK(item.title == "Amélie au café");
    CHECK(item.year == 2001);
    CHECK(item.library_id == "1");
    CHECK(item.added_at == 1600000100);
    CHECK(item.progress_ms == 734000);
    CHECK_FALSE(item.watched);
    CHECK(item.played_at == 0);
    CHECK(item.guids == Guids{{"imdb", "tt0100102"}});
  }
  SECTION("absent counters and nulls are not watched, and the legacy tmdb agent is read") {
    const MediaItem item = parse_ok(list[2]);
    CHECK(item.year == 0);
    CHECK_FALSE(item.watched);
    CHECK(item.play_count == 0);
    CHECK(item.path.empty());
    CHECK(item.guids == Guids{{"tmdb", "103"}});
  }
  SECTION("local:// carries no shareable id") {
    const MediaItem item = parse_ok(list[3]);
    CHECK(item.guids.empty());
    CHECK_FALSE(item.watched);
  }
  SECTION("a clip is refused with its id in the message") {
    auto item = parse_plex_item(list[4], "my_plex");
    REQUIRE_FALSE(item.ok());
    CHECK(item.error().kind == ErrorKind::invalid_input);
    CHECK_THAT(item.error().message, Catch::Contains("105") && Catch::Contains("clip"));
  }
}

TEST_CASE("Plex episodes carry their series, season, episode and legacy relative ids", "[plex_items]") {
  const json body = testing::load_test_json("plex_episodes_page.json");
  const json& list = plex_metadata_list(body);
  REQUIRE(list.size() == 3);

  SECTION("a new-agent episode") {
    const MediaItem item = parse_ok(list[0]);
    CHECK(item.type == MediaType::episode);
    CHECK(item.title == "Harbour Lights");
    CHECK(item.episode_title == "Pilot");
    CHECK(item.series_id == "500");
    CHECK(item.season == 1);
    CHECK(item.episode == 1);
    CHECK(item.guids == Guids{{"imdb", "tt1500501"}, {"tvdb", "4500501"}});
    CHECK(item.parent.empty());  // plex://show carries nothing; the client reads the show
    CHECK_FALSE(item.relative);
    CHECK(item.watched);
  }
  SECTION("a legacy thetvdb episode is a relative id, its series guid a parent id") {
    const MediaItem item = parse_ok(list[1]);
    CHECK(item.season == 1);
    CHECK(item.episode == 2);
    CHECK(item.guids.empty());
    CHECK(item.parent == Guids{{"tvdb", "78901"}});
    REQUIRE(item.relative);
    CHECK(*item.relative == RelativeGuid{"tvdb", "78901", 1, 2});
    CHECK(item.progress_ms == 120000);
  }
  SECTION("a HAMA anidb show with a non-ASCII title") {
    const MediaItem item = parse_ok(list[2]);
    CHECK(item.episode_title == "第一話");
    CHECK(item.parent == Guids{{"anidb", "4321"}});
  }
}

TEST_CASE("a Plex show's ids and year are read for its episodes", "[plex_items]") {
  const json body = testing::load_test_json("plex_show.json");
  const SeriesInfo info = parse_plex_series(plex_metadata_list(body).at(0));
  CHECK(info.guids == Guids{{"imdb", "tt1500500"}, {"tmdb", "45500"}, {"tvdb", "78901"}});
  CHECK(info.year == 2010);
}

TEST_CASE("Plex input that is not an item gives an error, never a crash", "[plex_items]") {
  CHECK_FALSE(parse_plex_item(json(nullptr), "p").ok());
  CHECK_FALSE(parse_plex_item(json::array(), "p").ok());
  CHECK_FALSE(parse_plex_item(json{{"type", "movie"}, {"title", "no key"}}, "p").ok());
  CHECK(plex_metadata_list(json{{"MediaContainer", {{"size", 0}}}}).empty());
  CHECK(plex_metadata_list(json("x")).empty());
  const auto weird = parse_plex_item(
      json{{"ratingKey", 1}, {"type", "movie"}, {"Guid", "nope"}, {"Media", {{"Part", 3}}}, {"viewCount", "many"}}, "p");
  REQUIRE(weird.ok());
  CHECK(weird->item_id == "1");
  CHECK_FALSE(weird->watched);
}

TEST_CASE("recorded Plex responses are read", "[plex_items][fixtures]") {
  const json recorded = testing::load_fixture_json("plex/watchstate_plex_api_responses.json");
  if (recorded.is_null()) {
    WARN(testing::kFixturesAbsent << testing::fixtures_dir().string());
    return;
  }
  SECTION("movies") {
    const json& list = plex_metadata_list(recorded.at("library_movie_get_200").at("response").at("body"));
    REQUIRE_FALSE(list.empty());
    for (const auto& entry : list) {
      const MediaItem item = parse_ok(entry);
      CHECK(item.type == MediaType::movie);
      CHECK_FALSE(item.guids.empty());
      CHECK(item.added_at > 0);
      CHECK_FALSE(item.path.empty());
    }
  }
  SECTION("episodes") {
    const json& list = plex_metadata_list(recorded.at("library_episodes_get_200").at("response").at("body"));
    REQUIRE_FALSE(list.empty());
    for (const auto& entry : list) {
      const MediaItem item = parse_ok(entry);
      CHECK(item.type == MediaType::episode);
      CHECK_FALSE(item.series_id.empty());
      CHECK(item.season >= 0);
      CHECK(item.episode >= 0);
      if (entry.contains("viewCount")) CHECK(item.watched);
      if (entry.contains("lastViewedAt")) CHECK(item.played_at > 0);
    }
  }
  SECTION("shows give series ids") {
    const json& list = plex_metadata_list(recorded.at("library_show_get_200").at("response").at("body"));
    REQUIRE_FALSE(list.empty());
    CHECK_FALSE(parse_plex_series(list.front()).guids.empty());
    CHECK_FALSE(parse_plex_item(list.front(), "p").ok());  // a show is not an item
  }
}

TEST_CASE("a Plex multi-episode file is one item per episode, numbered by index alone", "[plex_items]") {
  // Plex lists each episode of `S01E01-E02.mkv` as its own item with its own ratingKey and view
  // state, both pointing at the same file. Reading an end episode from the name would map both
  // items onto E01-E02 (issue 8).
  auto part = [](const std::string& key, int index, const std::string& file) {
    json m = {{"ratingKey", key}, {"type", "episode"}, {"parentIndex", 1}, {"index", index},
              {"Media", {{{"Part", {{{"file", file}}}}}}}};
    return parse_ok(m);
  };
  const std::string file = "/tv/Show/Season 01/Show - S01E01-E02.mkv";
  const MediaItem first = part("7", 1, file), second = part("8", 2, file);
  CHECK(first.item_id == "7");
  CHECK(first.episode == 1);
  CHECK(first.episode_end == -1);
  CHECK(second.item_id == "8");
  CHECK(second.episode == 2);
  CHECK(second.episode_end == -1);
  CHECK(first.path == second.path);
  CHECK(part("9", 1, "/tv/Show/Season 01/show.s01e01e03.1080p.mkv").episode_end == -1);
}
