// Unit tests of the fake servers' building blocks: catalogue, times, fault specs, routing.
#include <catch2/catch.hpp>

#include <set>

#include "catalog.h"
#include "fake_time.h"
#include "fault_injector.h"
#include "router.h"

using namespace ws::fake;

namespace {
CatalogOptions catalog_options(uint64_t seed, int movies, int shows, int seasons, int episodes) {
  CatalogOptions o;
  o.seed = seed;
  o.movies = movies;
  o.shows = shows;
  o.seasons = seasons;
  o.episodes = episodes;
  return o;
}
}  // namespace

TEST_CASE("one catalogue seed gives the same media and ids on every server type", "[fakes]") {
  const CatalogOptions o = catalog_options(42, 120, 30, 2, 4);
  const Catalog plex = Catalog::build(o, ServerType::plex, "p1", Catalog::shape_for(ServerType::plex, false));
  const Catalog jf = Catalog::build(o, ServerType::jellyfin, "j1", Catalog::shape_for(ServerType::jellyfin, false));
  const Catalog emby = Catalog::build(o, ServerType::emby, "e1", Catalog::shape_for(ServerType::emby, true));
  REQUIRE(plex.entries().size() == jf.entries().size());
  REQUIRE(plex.entries().size() == emby.entries().size());
  for (size_t i = 0; i < plex.entries().size(); ++i) {
    const Entry& a = plex.entries()[i];
    const Entry& b = jf.entries()[i];
    const Entry& c = emby.entries()[i];
    REQUIRE(a.title == b.title);
    REQUIRE(a.ids.imdb == b.ids.imdb);
    REQUIRE(a.ids.tmdb == c.ids.tmdb);
    REQUIRE(a.ids.tvdb == c.ids.tvdb);
    REQUIRE(a.season == b.season);
    REQUIRE(a.episode == c.episode);
    REQUIRE(a.id != b.id);
  }
  SECTION("ids have each server's form") {
    const Entry& m = jf.at(jf.movies()[0]);
    CHECK(m.id.size() == 32);
    CHECK(m.id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(emby.at(emby.movies()[0]).id.find_first_not_of("0123456789") == std::string::npos);
    CHECK(plex.find(plex.at(5).id) == &plex.at(5));
  }
  SECTION("the oddities of real libraries are there") {
    CHECK(plex.at(plex.movies()[13]).ids.empty());
    CHECK(plex.at(plex.movies()[3]).guid.starts_with("com.plexapp.agents.imdb://tt"));
    CHECK(plex.at(plex.movies()[3]).guid.ends_with("?lang=en"));
    CHECK(plex.at(plex.shows()[7]).guid.starts_with("com.plexapp.agents.hama://anidb-"));
    const Entry& legacy_show = plex.at(plex.shows()[3]);
    const Entry& legacy_episode = plex.at(plex.children_of(plex.children_of(legacy_show.index)[0])[1]);
    CHECK(legacy_episode.guid == "com.plexapp.agents.thetvdb://" + std::to_string(legacy_show.ids.tvdb) + "/1/2?lang=en");
    CHECK(emby.at(emby.shows()[0]).ids.tvmaze != 0);
    CHECK(jf.at(jf.shows()[0]).ids.tvmaze == 0);
    bool non_ascii = false;
    for (uint32_t i : plex.movies()) {
      for (unsigned char ch : plex.at(i).title) non_ascii |= ch >= 0x80;
    }
    CHECK(non_ascii);
  }
  SECTION("external ids are unique per kind") {
    std::set<uint32_t> imdb;
    for (uint32_t i : plex.movies()) {
      if (plex.at(i).ids.imdb) CHECK(imdb.insert(plex.at(i).ids.imdb).second);
    }
  }
}

TEST_CASE("a two-episode file has one entry per episode, listed in each server's shape", "[fakes]") {
  const CatalogOptions o = catalog_options(3, 2, 2, 1, 3);
  const Catalog plex = Catalog::build(o, ServerType::plex, "p", MultiEpisodeShape::item_per_episode);
  const Catalog one = Catalog::build(o, ServerType::jellyfin, "j", MultiEpisodeShape::one_item);
  const Catalog split = Catalog::build(o, ServerType::emby, "e", MultiEpisodeShape::split_files);
  REQUIRE(plex.entries().size() == one.entries().size());
  REQUIRE(plex.entries().size() == split.entries().size());
  auto season_one = [](const Catalog& c) { return c.children_of(c.children_of(c.shows()[1])[0]); };
  SECTION("plex: E01 and E02 are items of their own sharing the file") {
    const auto eps = season_one(plex);
    REQUIRE(eps.size() == 3);
    const Entry& e1 = plex.at(eps[0]);
    const Entry& e2 = plex.at(eps[1]);
    CHECK(e1.episode == 1);
    CHECK(e2.episode == 2);
    CHECK(e1.episode_end == 0);
    CHECK(e2.episode_end == 0);
    CHECK(e1.path == e2.path);
    CHECK(e1.path.find("S01E01-E02.mkv") != std::string::npos);
    CHECK(e1.id != e2.id);
    CHECK(plex.find(e2.id) == &e2);
    CHECK(e1.added_at == e2.added_at);
    CHECK(plex.episodes().size() == 6);
  }
  SECTION("jellyfin/emby: one item E01-E02, E02 folded into it") {
    const auto eps = season_one(one);
    REQUIRE(eps.size() == 2);
    const Entry& e1 = one.at(eps[0]);
    CHECK(e1.episode == 1);
    CHECK(e1.episode_end == 2);
    CHECK(e1.path.find("S01E01-E02.mkv") != std::string::npos);
    const Entry& folded = one.at(eps[0] + 1);
    CHECK(folded.folded);
    CHECK(folded.episode == 2);
    CHECK(one.find(folded.id) == nullptr);
    CHECK(one.at(eps[1]).episode == 3);
    CHECK(one.episodes().size() == 5);
  }
  SECTION("split: two files of one episode each") {
    const auto eps = season_one(split);
    REQUIRE(eps.size() == 3);
    const Entry& e1 = split.at(eps[0]);
    const Entry& e2 = split.at(eps[1]);
    CHECK(e1.episode_end == 0);
    CHECK(e1.path.ends_with("S01E01.mkv"));
    CHECK(e2.path.ends_with("S01E02.mkv"));
    CHECK(split.find(e2.id) == &e2);
    CHECK(split.episodes().size() == 6);
  }
}

TEST_CASE("dates round-trip in the servers' formats", "[fakes]") {
  const int64_t t = 17552930000000000 + 3549157;  // some 2025 date with 7 fraction digits
  const std::string iso = iso_ticks(t);
  CHECK(iso.size() == 28);
  CHECK(iso.back() == 'Z');
  CHECK(parse_date_ticks(iso) == t);
  CHECK(parse_date_ticks("2025-08-15T21:19:42.3549157Z") == parse_date_ticks("2025-08-15T23:19:42.3549157+02:00"));
  CHECK(parse_date_ticks("20250815211942") == parse_date_ticks("2025-08-15T21:19:42Z"));
  CHECK(parse_date_ticks("2025-08-15T21:19:42.35Z").value() % kTicksPerSecond == 3500000);
  CHECK_FALSE(parse_date_ticks("yesterday"));
  CHECK_FALSE(parse_date_ticks("2025-13-01"));
}

TEST_CASE("fault specs are parsed and refused with the flag named", "[fakes]") {
  auto ok = parse_fault_spec("500:0.1,429:0.05,hang:0.01,truncate:0.01");
  REQUIRE(ok);
  CHECK(ok->size() == 4);
  for (const char* bad : {"500", "abc:0.1", "500:2", "200:0.1", "500:0.6,429:0.6"}) {
    auto r = parse_fault_spec(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("--fail") != std::string::npos);
  }
  SECTION("decisions are deterministic from the seed") {
    FaultInjector a(*ok, 7), b(*ok, 7);
    int faults = 0;
    for (int i = 0; i < 2000; ++i) {
      const auto x = a.next(), y = b.next();
      CHECK(x.name() == y.name());
      faults += x.any();
    }
    CHECK(faults > 200);
    CHECK(faults < 560);
  }
  SECTION("an override applies to the next requests only") {
    FaultInjector f({}, 1);
    f.override_next(parse_fault_spec("429:1").value(), 2);
    CHECK(f.next().code == 429);
    CHECK(f.next().code == 429);
    CHECK_FALSE(f.next().any());
  }
}

TEST_CASE("routes match without case on Jellyfin and with trailing slashes", "[fakes]") {
  Router jf(true), plex(false);
  auto h = [](const httplib::Request&, httplib::Response&, const Params&) {};
  jf.add("GET", "/Users/{}/Items", h);
  plex.add("GET", "/library/sections", h);
  auto m = jf.match("GET", "/users/abc/items/");
  REQUIRE(m);
  CHECK(m->params == Params{"abc"});
  CHECK(jf.match("HEAD", "/USERS/x/ITEMS"));
  CHECK_FALSE(jf.match("POST", "/Users/x/Items"));
  CHECK(jf.path_known("/Users/x/Items"));
  CHECK_FALSE(plex.match("GET", "/Library/Sections"));
}
