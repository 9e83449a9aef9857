// The backend clients against real ws-fakeserver processes of each type (DESIGN §10, §11):
// paging past the server's page cap, auth errors, 429 then success, hangs, truncated JSON, and
// writes visible in the fake's own state.
#include "ws/backend_client.h"

#include <catch2/catch.hpp>

#include <ctime>
#include <map>
#include <set>

#include "fake_process.h"

using namespace ws;
using namespace std::chrono_literals;
using ws::fake::FakeProcess;

namespace {

struct Setup {
  FakeProcess fake;
  ServerConfig server;
  nlohmann::json info;
  std::shared_ptr<std::vector<std::chrono::milliseconds>> sleeps = std::make_shared<std::vector<std::chrono::milliseconds>>();

  BackendOptions options(int attempts = 3, std::chrono::milliseconds timeout = 5000ms) const {
    BackendOptions o;
    o.retry.max_attempts = attempts;
    o.retry.base_delay = 10ms;
    auto record = sleeps;
    o.retry.sleep = [record](std::chrono::milliseconds d) { record->push_back(d); };  // no real waits
    o.timeout = timeout;
    o.connect_timeout = 2000ms;
    return o;
  }
  std::unique_ptr<BackendClient> client(int attempts = 3, std::chrono::milliseconds timeout = 5000ms) const {
    return make_backend_client(server, options(attempts, timeout));
  }
  void fail_next(const std::string& spec, int requests) {
    fake.post_json("/__fake/fail", {{"fail", spec}, {"requests", requests}});
  }
};

Setup start(const std::string& type, std::vector<std::string> args) {
  Setup s{FakeProcess::start(type, args), {}, {}};
  s.info = s.fake.get_json("/__fake/info");
  s.server.name = "my_" + type;
  s.server.type = *parse_server_type(type);
  s.server.url = s.fake.url();
  s.server.token = s.fake.token();
  s.server.user = s.info.at("user_id").get<std::string>();
  return s;
}

const Library& library_of(const std::vector<Library>& libraries, MediaType kind) {
  for (const auto& l : libraries)
    if (l.kind == kind) return l;
  FAIL("no library of that kind");
  throw std::logic_error("unreachable");
}

nlohmann::json fake_item(const Setup& s, const std::string& id) {
  auto list = s.fake.get_json("/__fake/items?id=" + id);
  REQUIRE(list.size() == 1);
  return list[0];
}

}  // namespace

TEST_CASE("every client pages through a library past the server's page cap", "[backend_client]") {
  for (const std::string type : {"plex", "jellyfin", "emby"}) {
    DYNAMIC_SECTION(type) {
      auto s = start(type, {"--movies", "23", "--shows", "3", "--seasons", "2", "--episodes", "4", "--page-max", "4",
                            "--state-seed", "7", "--watched", "40", "--progress", "20"});
      auto client = s.client();

      auto identity = client->identity();
      INFO((identity ? "" : identity.error().message));
      REQUIRE(identity.ok());
      CHECK(identity->id == s.info.at("server_id").get<std::string>());
      CHECK(identity->name == s.info.at("name").get<std::string>());

      auto libraries = client->libraries();
      REQUIRE(libraries.ok());
      REQUIRE(libraries->size() == 2);
      const Library movies = library_of(*libraries, MediaType::movie);
      const Library shows = library_of(*libraries, MediaType::episode);
      CHECK_FALSE(movies.ignored);

      auto count = client->count_items(movies);
      REQUIRE(count.ok());
      CHECK(*count == 23);

      // Pages of 10 asked, 4 served at a time: every page but the last is full.
      std::set<std::string> seen;
      std::vector<size_t> sizes;
      auto walked = for_each_page(*client, movies, 10, [&](ItemPage& page) -> Result<Ok> {
        sizes.push_back(page.items.size());
        for (const auto& item : page.items) {
          CHECK(item.type == MediaType::movie);
          CHECK(item.server == s.server.name);
          CHECK(item.library_id == movies.id);
          seen.insert(item.item_id);
        }
        return Ok{};
      });
      REQUIRE(walked.ok());
      CHECK(*walked == 23);
      CHECK(sizes == std::vector<size_t>{10, 10, 3});
      std::set<std::string> expected;
      for (const auto& e : s.fake.get_json("/__fake/items?type=movie")) expected.insert(e.at("id").get<std::string>());
      CHECK(seen == expected);

      // Episodes: every one, with its series' ids, each series read once.
      std::set<std::string> series;
      int64_t episodes = 0;
      auto walked_episodes = for_each_page(*client, shows, 9, [&](ItemPage& page) -> Result<Ok> {
        for (const auto& item : page.items) {
          ++episodes;
          CHECK(item.type == MediaType::episode);
          CHECK_FALSE(item.series_id.empty());
          CHECK(item.season >= 0);
          series.insert(item.series_id);
          const auto truth = fake_item(s, item.item_id);
          CHECK(item.watched == truth.at("watched").get<bool>());
          CHECK(item.progress_ms == truth.at("progress_ms").get<int64_t>());
          CHECK(item.added_at == truth.at("added_at").get<int64_t>());
          for (const auto& [source, value] : truth.at("series_guids").items()) {
            if (value.is_null()) continue;
            CHECK(item.parent.count(source) == 1);
          }
        }
        return Ok{};
      });
      REQUIRE(walked_episodes.ok());
      // 3 series x 2 seasons x 4 episodes; a two-episode file is one item on Jellyfin and Emby, two
      // (one per episode, sharing the file) on Plex.
      CHECK(episodes == static_cast<int64_t>(s.fake.get_json("/__fake/items?type=episode").size()));
      CHECK(episodes >= 20);
      CHECK(series.size() == 3);
      const auto stats = s.fake.get_json("/__fake/stats");
      int64_t series_reads = 0;
      for (const auto& [route, counter] : stats.at("routes").items())
        if (route.find("/library/metadata/{}") != std::string::npos || route.find("/Items/{}") != std::string::npos)
          series_reads += counter.at("count").get<int64_t>();
      // The library's series are listed in bulk once; single reads only for stragglers.
      CHECK(series_reads <= 3);
    }
  }
}

TEST_CASE("a wrong token gives a 401 naming server, request and the fix, never the token", "[backend_client]") {
  for (const std::string type : {"plex", "jellyfin", "emby"}) {
    DYNAMIC_SECTION(type) {
      auto s = start(type, {"--movies", "3", "--shows", "1"});
      s.server.token = "wrong-token-123";
      auto libraries = s.client()->libraries();
      REQUIRE_FALSE(libraries.ok());
      CHECK(libraries.error().kind == ErrorKind::unauthorized);
      const std::string& m = libraries.error().message;
      CHECK_THAT(m, Catch::StartsWith("my_" + type + ": GET /"));
      CHECK_THAT(m, Catch::Contains("→ 401 Unauthorized (check the token)"));
      CHECK_THAT(m, !Catch::Contains("wrong-token-123"));
      if (type == "plex") CHECK_THAT(m, Catch::StartsWith("my_plex: GET /library/sections → 401 Unauthorized (check the token)"));
    }
  }
}

TEST_CASE("a 429 is retried after the server's Retry-After, then succeeds", "[backend_client]") {
  for (const std::string type : {"plex", "jellyfin", "emby"}) {
    DYNAMIC_SECTION(type) {
      auto s = start(type, {"--movies", "3", "--shows", "1"});
      auto client = s.client();
      s.fail_next("429:1", 1);
      auto libraries = client->libraries();
      INFO((libraries ? "" : libraries.error().message));
      REQUIRE(libraries.ok());
      CHECK(libraries->size() == 2);
      CHECK(client->stats().retries == 1);
      REQUIRE(s.sleeps->size() == 1);
      CHECK(s.sleeps->at(0) >= 1000ms);  // the fake says Retry-After in whole seconds
    }
  }
}

TEST_CASE("a hanging server hits the timeout with a clear error", "[backend_client]") {
  for (const std::string type : {"plex", "jellyfin", "emby"}) {
    DYNAMIC_SECTION(type) {
      auto s = start(type, {"--movies", "3", "--shows", "1", "--hang-seconds", "5"});
      auto client = s.client(2, 400ms);
      s.fail_next("hang:1", 2);
      const auto began = std::chrono::steady_clock::now();
      auto libraries = client->libraries();
      REQUIRE_FALSE(libraries.ok());
      CHECK(libraries.error().kind == ErrorKind::unavailable);
      CHECK_THAT(libraries.error().message, Catch::Contains("timed out after 0.4 s") && Catch::Contains("after 2 attempts"));
      CHECK(std::chrono::steady_clock::now() - began < 4s);
    }
  }
}

TEST_CASE("truncated JSON gives a clear error, and a single cut is retried", "[backend_client]") {
  for (const std::string type : {"plex", "jellyfin", "emby"}) {
    DYNAMIC_SECTION(type) {
      auto s = start(type, {"--movies", "30", "--shows", "1"});
      SECTION("always cut") {
        auto client = s.client(2);
        s.fail_next("truncate:1", 2);
        auto libraries = client->libraries();
        REQUIRE_FALSE(libraries.ok());
        CHECK(libraries.error().kind == ErrorKind::corruption);
        CHECK_THAT(libraries.error().message, Catch::StartsWith("my_" + type + ": GET /") &&
                                                  Catch::Contains("not valid JSON") && Catch::Contains("after 2 attempts"));
      }
      SECTION("cut once") {
        auto client = s.client(3);
        auto libraries = client->libraries();
        REQUIRE(libraries.ok());
        s.fail_next("truncate:1", 1);
        auto page = client->fetch_page(library_of(*libraries, MediaType::movie), 0, 10);
        REQUIRE(page.ok());
        CHECK(page->items.size() == 10);
      }
    }
  }
}

TEST_CASE("mark played, unplayed and progress change the server's state", "[backend_client]") {
  for (const std::string type : {"plex", "jellyfin", "emby"}) {
    DYNAMIC_SECTION(type) {
      auto s = start(type, {"--movies", "5", "--shows", "1", "--seasons", "1", "--episodes", "2"});
      auto client = s.client();
      auto libraries = client->libraries();
      REQUIRE(libraries.ok());
      auto page = client->fetch_page(library_of(*libraries, MediaType::movie), 0, 5);
      REQUIRE(page.ok());
      REQUIRE(page->items.size() == 5);
      const MediaItem item = page->items[0];
      REQUIRE_FALSE(fake_item(s, item.item_id).at("watched").get<bool>());

      const int64_t played_at = 1700000000;
      auto played = client->mark_played(item, played_at);
      INFO((played ? "" : played.error().message));
      REQUIRE(played.ok());
      auto truth = fake_item(s, item.item_id);
      CHECK(truth.at("watched").get<bool>());
      if (type == "plex") {
        CHECK(truth.at("played_at").get<int64_t>() >= std::time(nullptr) - 60);  // Plex records "now"
      } else {
        CHECK(truth.at("played_at").get<int64_t>() == played_at);
      }
      auto read_back = client->fetch_item(item.item_id);
      REQUIRE(read_back.ok());
      CHECK(read_back->watched);

      REQUIRE(client->mark_unplayed(item).ok());
      truth = fake_item(s, item.item_id);
      CHECK_FALSE(truth.at("watched").get<bool>());
      CHECK(truth.at("played_at").is_null());

      auto progress = client->set_progress(item, 65000);
      INFO((progress ? "" : progress.error().message));
      REQUIRE(progress.ok());
      CHECK(fake_item(s, item.item_id).at("progress_ms").get<int64_t>() == 65000);

      const auto writes = s.fake.get_json("/__fake/writes");
      CHECK(writes.size() >= 3);
    }
  }
}

TEST_CASE("Jellyfin and Emby refuse an unknown user and list the server's users", "[backend_client]") {
  for (const std::string type : {"jellyfin", "emby"}) {
    DYNAMIC_SECTION(type) {
      auto s = start(type, {"--movies", "2", "--shows", "1"});
      s.server.user = "0123456789abcdef0123456789abcdef";
      auto identity = s.client()->identity();
      REQUIRE_FALSE(identity.ok());
      CHECK_THAT(identity.error().message, Catch::Contains("is not a user of this server") &&
                                               Catch::Contains(s.info.at("user_id").get<std::string>()));
      s.server.user.clear();
      auto libraries = s.client()->libraries();
      REQUIRE_FALSE(libraries.ok());
      CHECK_THAT(libraries.error().message, Catch::Contains("no user id configured"));
    }
  }
}

TEST_CASE("fetch_items reads many items in batches, past the page cap, and leaves out removed ones",
          "[backend_client]") {
  for (const std::string type : {"plex", "jellyfin", "emby"}) {
    DYNAMIC_SECTION(type) {
      // 60 movies: more than one batch of ids; --page-max 7: an answer shorter than asked.
      auto s = start(type, {"--movies", "60", "--shows", "1", "--seasons", "1", "--episodes", "3", "--page-max", "7",
                            "--state-seed", "4", "--watched", "50"});
      auto client = s.client();
      std::vector<std::string> ids;
      std::map<std::string, bool> truth;
      for (const auto& item : s.fake.get_json("/__fake/items")) {
        ids.push_back(item.at("id").get<std::string>());
        truth[ids.back()] = item.at("watched").get<bool>();
      }
      REQUIRE(ids.size() > BackendClient::kItemsPerRead);
      const std::string removed = ids[3];
      REQUIRE(s.fake.post_json("/__fake/act", {{"item", removed}, {"action", "remove"}}).value("removed", false));
      ids.push_back(ids[5]);  // asked twice, answered once
      ids.push_back("999999999");  // never there

      const int64_t before = client->stats().requests;
      auto items = client->fetch_items(ids);
      INFO((items ? "" : items.error().message));
      REQUIRE(items.ok());
      std::set<std::string> seen;
      for (const auto& item : *items) {
        CHECK(seen.insert(item.item_id).second);
        REQUIRE(truth.count(item.item_id) == 1);
        CHECK(item.watched == truth.at(item.item_id));
      }
      CHECK(seen.size() == truth.size() - 1);
      CHECK(seen.count(removed) == 0);
      // Batched: far fewer requests than items (a page cap of 7 costs a request per 7 on
      // Jellyfin and Emby, one per batch on Plex, plus series reads).
      CHECK(client->stats().requests - before < static_cast<int64_t>(truth.size() / 2));

      auto none = client->fetch_items({removed});
      REQUIRE(none.ok());
      CHECK(none->empty());
    }
  }
}

// DESIGN §5 "Incremental import": each client's change filter on the wire, and what each fake
// (mirroring its server, docs/configuration.md) lists for it — Plex a play but not an unmark,
// Emby both, Jellyfin neither (its filter compares the item's metadata save date).
TEST_CASE("a delta listing shows what each server's change filter sees", "[backend_client][incremental]") {
  struct Expect {
    std::string type;
    bool sees_play;
    bool sees_unmark;
  };
  for (const Expect& e : {Expect{"plex", true, false}, Expect{"emby", true, true}, Expect{"jellyfin", false, false}}) {
    DYNAMIC_SECTION(e.type) {
      auto s = start(e.type, {"--movies", "12", "--shows", "1", "--seasons", "1", "--episodes", "2", "--state-seed", "3",
                              "--watched", "50"});
      auto client = s.client();
      auto libraries = client->libraries();
      REQUIRE(libraries);
      Library movies = library_of(*libraries, MediaType::movie);
      movies.changed_since = std::time(nullptr) - 60;
      auto count = client->count_items(movies);
      REQUIRE(count);
      CHECK(*count == 0);  // the seeded plays and the catalogue's add dates are long past

      const auto items = s.fake.get_json("/__fake/items?type=movie");
      std::string unplayed, played;
      for (const auto& item : items) {
        if (unplayed.empty() && !item.at("watched").get<bool>()) unplayed = item.at("id").get<std::string>();
        if (played.empty() && item.at("watched").get<bool>()) played = item.at("id").get<std::string>();
      }
      REQUIRE_FALSE(unplayed.empty());
      REQUIRE_FALSE(played.empty());
      s.fake.post_json("/__fake/act", {{"item", unplayed}, {"action", "play"}, {"at", std::time(nullptr)}});
      s.fake.post_json("/__fake/act", {{"item", played}, {"action", "unplay"}});

      auto page = client->fetch_page(movies, 0, 50);
      REQUIRE(page);
      std::set<std::string> listed;
      for (const auto& item : page->items) listed.insert(item.item_id);
      CHECK(listed.count(unplayed) == (e.sees_play ? 1u : 0u));
      CHECK(listed.count(played) == (e.sees_unmark ? 1u : 0u));
      CHECK(page->total == static_cast<int64_t>(listed.size()));
      auto recount = client->count_items(movies);
      REQUIRE(recount);
      CHECK(*recount == page->total);

      // A newly added file: Plex (addedAt) and Jellyfin (DateLastSaved) list it; Emby's user-data
      // filter is not known to (the fake says no).
      std::string other;
      for (const auto& item : items) {
        const std::string id = item.at("id").get<std::string>();
        if (id != unplayed && id != played) other = id;
      }
      s.fake.post_json("/__fake/act", {{"item", other}, {"action", "add"}, {"at", std::time(nullptr)}});
      auto after_add = client->fetch_page(movies, 0, 50);
      REQUIRE(after_add);
      bool has_new = false;
      for (const auto& item : after_add->items) has_new = has_new || item.item_id == other;
      CHECK(has_new == (e.type != "emby"));

      // Without a since: the whole library.
      movies.changed_since = 0;
      auto whole = client->count_items(movies);
      REQUIRE(whole);
      CHECK(*whole == 12);
    }
  }
}
