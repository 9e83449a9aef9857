#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "ws/guids.h"

using ws::Guids;

TEST_CASE("plex new-style guids become canonical ids", "[guids]") {
  Guids ids;
  ws::add_plex_guid(ids, "imdb://tt0113277");
  ws::add_plex_guid(ids, "tmdb://949");
  ws::add_plex_guid(ids, "tvdb://0081189");
  ws::add_plex_guid(ids, "plex://movie/5d776825880197001ec967c6");
  ws::add_plex_guid(ids, "local://123");
  CHECK(ids == Guids{{"imdb", "tt0113277"}, {"tmdb", "949"}, {"tvdb", "81189"}});
}

TEST_CASE("plex legacy agent guids are normalized and ?lang= is stripped", "[guids]") {
  Guids ids;
  SECTION("imdb agent") {
    ws::add_plex_guid(ids, "com.plexapp.agents.imdb://tt0111161?lang=en");
    CHECK(ids == Guids{{"imdb", "tt0111161"}});
  }
  SECTION("themoviedb agent maps to tmdb") {
    ws::add_plex_guid(ids, "com.plexapp.agents.themoviedb://278?lang=de");
    CHECK(ids == Guids{{"tmdb", "278"}});
  }
  SECTION("thetvdb series id maps to tvdb") {
    ws::add_plex_guid(ids, "com.plexapp.agents.thetvdb://81189?lang=en");
    CHECK(ids == Guids{{"tvdb", "81189"}});
  }
  SECTION("xbmcnfo carries imdb, xbmcnfotv carries tvdb") {
    ws::add_plex_guid(ids, "com.plexapp.agents.xbmcnfo://tt0068646?lang=xn");
    ws::add_plex_guid(ids, "com.plexapp.agents.xbmcnfotv://121361?lang=xn");
    CHECK(ids == Guids{{"imdb", "tt0068646"}, {"tvdb", "121361"}});
  }
  SECTION("HAMA anidb and tvdb forms") {
    ws::add_plex_guid(ids, "com.plexapp.agents.hama://anidb-1234?lang=en");
    ws::add_plex_guid(ids, "com.plexapp.agents.hama://tvdb2-5678?lang=en");
    CHECK(ids == Guids{{"anidb", "1234"}, {"tvdb", "5678"}});
  }
  SECTION("none and unknown agents carry nothing") {
    ws::add_plex_guid(ids, "com.plexapp.agents.none://abc");
    ws::add_plex_guid(ids, "com.plexapp.agents.localmedia://1");
    ws::add_plex_guid(ids, "not a guid");
    CHECK(ids.empty());
  }
}

TEST_CASE("a legacy thetvdb episode guid is a relative key, not the episode's own id", "[guids]") {
  Guids ids;
  std::optional<ws::RelativeGuid> rel;
  ws::add_plex_guid(ids, "com.plexapp.agents.thetvdb://81189/2/13?lang=en", &rel);
  CHECK(ids.empty());
  REQUIRE(rel);
  CHECK(*rel == ws::RelativeGuid{"tvdb", "81189", 2, 13});
}

TEST_CASE("provider ids accept any key case, Tv Maze, numbers and nulls", "[guids]") {
  auto provider = nlohmann::json::parse(R"({"Imdb":"TT0944947","TMDB":"1399","tvdb":121361,
      "Tv Maze":"82","TmdbCollection":"123","Zap2It":"x","Tvrage":null,"AniDB":""})");
  Guids ids;
  ws::add_provider_ids(ids, provider);
  CHECK(ids == Guids{{"imdb", "tt0944947"}, {"tmdb", "1399"}, {"tvdb", "121361"}, {"tvmaze", "82"}});
  ws::add_provider_ids(ids, nlohmann::json());  // null: tolerated
  CHECK(ids.size() == 4);
}

TEST_CASE("invalid values are rejected", "[guids]") {
  Guids ids;
  CHECK_FALSE(ws::add_guid(ids, "imdb", "0111161"));
  CHECK_FALSE(ws::add_guid(ids, "imdb", "tt"));
  CHECK_FALSE(ws::add_guid(ids, "imdb", "tt12ab"));
  CHECK_FALSE(ws::add_guid(ids, "tmdb", "abc"));
  CHECK_FALSE(ws::add_guid(ids, "tmdb", "0"));
  CHECK_FALSE(ws::add_guid(ids, "plex", "5d776825880197001ec967c6"));
  CHECK(ids.empty());
}

TEST_CASE("a source listed twice keeps the smaller number", "[guids]") {
  Guids ids;
  CHECK(ws::add_guid(ids, "tvdb", "500"));
  CHECK(ws::add_guid(ids, "tvdb", "40"));
  CHECK(ws::add_guid(ids, "tvdb", "600"));
  CHECK(ids.at("tvdb") == "40");
  CHECK(ws::add_guid(ids, "imdb", "tt0200000"));
  CHECK(ws::add_guid(ids, "imdb", "tt0100000"));
  CHECK(ids.at("imdb") == "tt0100000");
}

TEST_CASE("guid uris as the CLI takes them", "[guids]") {
  auto parsed = ws::parse_guid_uri("imdb://tt0111161");
  REQUIRE(parsed);
  CHECK(parsed->first == "imdb");
  CHECK(parsed->second == "tt0111161");
  CHECK(ws::parse_guid_uri("themoviedb://278")->first == "tmdb");
  CHECK_FALSE(ws::parse_guid_uri("imdb://278"));
  CHECK_FALSE(ws::parse_guid_uri("42"));
}
