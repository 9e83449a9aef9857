// End-to-end tests of ws-fakeserver: each starts the real binary on a free loopback port.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <set>
#include <thread>

#include <httplib.h>

#include "fake_process.h"

using ws::fake::FakeProcess;
using nlohmann::json;

namespace {

const std::vector<std::string> kSmall = {"--catalog", "7", "--movies", "30", "--shows", "4", "--seasons", "2",
                                         "--episodes", "3"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

httplib::Headers plex_headers(const FakeProcess& f) { return {{"X-Plex-Token", f.token()}, {"Accept", "application/json"}}; }

std::string library_id(const FakeProcess& f, const std::string& which) {
  return f.get_json("/__fake/info")["libraries"][which].get<std::string>();
}

std::string user_id(const FakeProcess& f) { return f.get_json("/__fake/info")["user_id"].get<std::string>(); }

json fake_item(const FakeProcess& f, const std::string& id) { return f.get_json("/__fake/items?id=" + id).at(0); }

// A receiver for webhooks: keeps every request, in arrival order.
struct Receiver {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<httplib::Request> got;

  Receiver() {
    server.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mutex);
        got.push_back(req);
      }
      cv.notify_all();
      res.status = 200;
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~Receiver() {
    server.stop();
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/hook?type=test"; }
  // The n-th request received (1-based), waiting up to 10 s for it.
  httplib::Request wait(size_t n) {
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return got.size() >= n; }));
    return got[n - 1];
  }
  size_t count() {
    std::lock_guard lock(mutex);
    return got.size();
  }
};

// The JSON of a webhook as each server frames it.
json webhook_json(const std::string& type, const httplib::Request& req) {
  if (type == "plex") return json::parse(req.get_file_value("payload").content);
  if (type == "emby" && req.is_multipart_form_data()) return json::parse(req.get_file_value("data").content);
  return json::parse(req.body);
}

// Sends the fake's webhook for `item` to the receiver and returns its JSON.
json hook(const FakeProcess& f, Receiver& rx, json request) {
  const size_t n = rx.count() + 1;
  request["url"] = rx.url();
  REQUIRE(f.post_json("/__fake/webhook", request)["status"] == 200);
  return webhook_json(f.type(), rx.wait(n));
}

int status_of(const httplib::Result& res) { return res ? res->status : -1; }

}  // namespace

TEST_CASE("fakes of every type with one catalogue seed list the same media with the same external ids",
          "[fakes][e2e]") {
  auto plex = FakeProcess::start("plex", kSmall);
  auto jf = FakeProcess::start("jellyfin", kSmall);
  auto emby = FakeProcess::start("emby", kSmall);
  const json a = plex.get_json("/__fake/items");
  const json b = jf.get_json("/__fake/items");
  const json c = emby.get_json("/__fake/items");
  // Show 1 starts with a two-episode file: two items on Plex, one (E01-E02) on Jellyfin and Emby.
  REQUIRE(a.size() == 30 + 4 * 2 * 3);
  REQUIRE(b.size() == a.size() - 1);
  REQUIRE(c.size() == b.size());
  size_t j = 0;  // Jellyfin and Emby index; Plex's runs one ahead after the two-episode file
  for (size_t i = 0; i < a.size(); ++i, ++j) {
    INFO(a[i].dump() << "\n" << b[j].dump());
    if (i > 0 && a[i]["path"] == a[i - 1]["path"]) {  // Plex's E02 of the shared file
      CHECK(b[j - 1]["episode_end"] == a[i]["episode"]);
      --j;
      continue;
    }
    CHECK(a[i]["title"] == b[j]["title"]);
    CHECK(a[i]["season"] == c[j]["season"]);
    CHECK(a[i]["episode"] == c[j]["episode"]);
    for (const char* source : {"imdb", "tmdb", "tvdb"}) {
      CHECK(a[i]["guids"].value(source, "") == b[j]["guids"].value(source, ""));
      CHECK(a[i]["guids"].value(source, "") == c[j]["guids"].value(source, ""));
      CHECK(a[i]["series_guids"].value(source, "") == c[j]["series_guids"].value(source, ""));
    }
    CHECK(a[i]["id"] != b[j]["id"]);
    CHECK(b[j]["id"] != c[j]["id"]);
  }
  CHECK(j == b.size());

  SECTION("the servers' own APIs show those ids") {
    const json movies = plex.get_json("/library/sections/1/all?type=1&includeGuids=1");
    const json first = movies["MediaContainer"]["Metadata"][0];
    std::string imdb;
    for (const auto& g : first["Guid"]) {
      if (g["id"].get<std::string>().starts_with("imdb://")) imdb = g["id"].get<std::string>().substr(7);
    }
    REQUIRE_FALSE(imdb.empty());
    const json items = jf.get_json("/Items?userId=" + user_id(jf) + "&parentId=" + library_id(jf, "movies") +
                                   "&recursive=true&includeItemTypes=Movie&fields=ProviderIds&limit=1");
    CHECK(items["Items"][0]["ProviderIds"]["Imdb"] == imdb);
    CHECK(items["Items"][0]["Name"] == first["title"]);
  }
}

TEST_CASE("pages capped by --page-max hold fewer items than asked and the totals let a client page through all",
          "[fakes][e2e]") {
  SECTION("plex, paging by headers, X-Plex-Container-Total-Size and Size 0") {
    auto plex = FakeProcess::start("plex", with(kSmall, {"--page-max", "7"}));
    httplib::Client cli("127.0.0.1", plex.port());
    std::set<std::string> keys;
    int64_t start = 0, total = -1, pages = 0;
    while (total < 0 || start < total) {
      auto h = plex_headers(plex);
      h.emplace("X-Plex-Container-Start", std::to_string(start));
      h.emplace("X-Plex-Container-Size", "10");
      auto res = cli.Get("/library/sections/1/all?type=1&includeGuids=1", h);
      REQUIRE(res);
      REQUIRE(res->status == 200);
      const json body = json::parse(res->body);
      const auto& mc = body["MediaContainer"];
      total = std::stoll(res->get_header_value("X-Plex-Container-Total-Size"));
      CHECK(mc["totalSize"] == total);
      CHECK(mc["offset"] == start);
      CHECK(mc["size"].get<int>() <= 7);
      for (const auto& m : mc["Metadata"]) keys.insert(m["ratingKey"].get<std::string>());
      start += mc["size"].get<int>();
      REQUIRE(++pages < 20);
    }
    CHECK(total == 30);
    CHECK(keys.size() == 30);
    CHECK(pages == 5);
    auto res = cli.Get("/library/sections/2/all?type=4&X-Plex-Container-Start=0&X-Plex-Container-Size=0",
                       plex_headers(plex));
    REQUIRE(res);
    const json count = json::parse(res->body)["MediaContainer"];
    CHECK(count["size"] == 0);
    CHECK(count["totalSize"] == 24);  // the two-episode file is two items on Plex
    CHECK_FALSE(count.contains("Metadata"));
    auto head = cli.Head("/library/sections/1/all?X-Plex-Container-Start=0&X-Plex-Container-Size=1",
                         plex_headers(plex));
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->get_header_value("X-Plex-Container-Total-Size") == "30");
    CHECK(head->body.empty());
  }
  SECTION("plex XML unless JSON is asked for, gzip when accepted") {
    auto plex = FakeProcess::start("plex", kSmall);
    httplib::Client cli("127.0.0.1", plex.port());
    auto xml = cli.Get("/library/sections", {{"X-Plex-Token", plex.token()}});
    REQUIRE(xml);
    CHECK(xml->body.starts_with("<?xml"));
    CHECK(xml->get_header_value("Content-Type").starts_with("text/xml"));
    cli.set_decompress(false);
    auto gz = cli.Get("/library/sections/1/all",
                      {{"X-Plex-Token", plex.token()}, {"Accept", "application/json"}, {"Accept-Encoding", "gzip, br"}});
    REQUIRE(gz);
    CHECK(gz->get_header_value("Content-Encoding") == "gzip");
  }
  SECTION("jellyfin and emby: limit is capped, TotalRecordCount counts all, limit=0 counts only") {
    for (const char* type : {"jellyfin", "emby"}) {
      auto f = FakeProcess::start(type, with(kSmall, {"--page-max", "4"}));
      const std::string uid = user_id(f);
      const std::string shows = library_id(f, "shows");
      std::set<std::string> ids;
      int64_t start = 0, total = -1;
      while (total < 0 || start < total) {
        const json page = f.get_json("/Users/" + uid + "/Items?ParentId=" + shows +
                                     "&Recursive=true&IncludeItemTypes=Episode&StartIndex=" + std::to_string(start) +
                                     "&Limit=10&Fields=ProviderIds,Path");
        total = page["TotalRecordCount"];
        CHECK(page["Items"].size() <= 4);
        REQUIRE_FALSE(page["Items"].empty());
        for (const auto& it : page["Items"]) ids.insert(it["Id"].get<std::string>());
        start += int64_t(page["Items"].size());
      }
      CHECK(total == 23);
      CHECK(ids.size() == 23);
      const json count = f.get_json("/Items?userId=" + uid + "&parentId=" + shows +
                                    "&recursive=true&includeItemTypes=Episode&limit=0");
      CHECK(count["Items"].empty());
      CHECK(count["TotalRecordCount"] == 23);
      CHECK(count.contains("StartIndex") == (std::string(type) == "jellyfin"));
    }
  }
}

TEST_CASE("requests without the right token are refused the way each server does", "[fakes][e2e]") {
  SECTION("plex: 401 with an HTML body; /identity needs no token") {
    auto plex = FakeProcess::start("plex", kSmall);
    httplib::Client cli("127.0.0.1", plex.port());
    auto res = cli.Get("/library/sections", {{"X-Plex-Token", "wrong"}, {"Accept", "application/json"}});
    REQUIRE(res);
    CHECK(res->status == 401);
    CHECK(res->get_header_value("Content-Type") == "text/html");
    CHECK(res->body.find("<h1>401 Unauthorized</h1>") != std::string::npos);
    auto id = cli.Get("/identity", {{"Accept", "application/json"}});
    REQUIRE(id);
    CHECK(id->status == 200);
    CHECK(json::parse(id->body)["MediaContainer"]["machineIdentifier"].get<std::string>().size() == 40);
    CHECK(cli.Get("/library/sections?X-Plex-Token=" + plex.token())->status == 200);
  }
  SECTION("jellyfin: every documented way to send the token works, case-insensitive routes too") {
    auto jf = FakeProcess::start("jellyfin", kSmall);
    httplib::Client cli("127.0.0.1", jf.port());
    const std::string t = jf.token();
    CHECK(cli.Get("/System/Info")->status == 401);
    CHECK(cli.Get("/System/Info/Public")->status == 200);
    CHECK(cli.Get("/System/Info", {{"Authorization", "MediaBrowser Token=\"" + t + "\""}})->status == 200);
    CHECK(cli.Get("/System/Info", {{"X-Emby-Authorization", "MediaBrowser Client=\"x\", Token=\"" + t + "\""}})->status == 200);
    CHECK(cli.Get("/System/Info", {{"X-Emby-Token", t}})->status == 200);
    CHECK(cli.Get("/System/Info", {{"X-MediaBrowser-Token", t}})->status == 200);
    CHECK(cli.Get("/System/Info?api_key=" + t)->status == 200);
    CHECK(cli.Get("/system/info?ApiKey=" + t)->status == 200);
    CHECK(cli.Get("/System/Info?api_key=wrong")->status == 401);
    const std::string uid = user_id(jf);
    CHECK(cli.Get("/users/" + uid + "/items/?api_key=" + t)->status == 200);
    CHECK(cli.Get("/Users/" + uid + "/Views?api_key=" + t)->status == 200);
  }
  SECTION("emby: /emby/ prefix, X-Emby-Token, numeric ids") {
    auto emby = FakeProcess::start("emby", kSmall);
    httplib::Client cli("127.0.0.1", emby.port());
    CHECK(cli.Get("/emby/System/Info")->status == 401);
    auto res = cli.Get("/emby/System/Info", {{"X-Emby-Token", emby.token()}});
    REQUIRE(res->status == 200);
    CHECK(json::parse(res->body)["Id"].get<std::string>().size() == 32);
    const json items = emby.get_json("/emby/Users/" + user_id(emby) + "/Items?Recursive=true&IncludeItemTypes=Movie&Limit=3");
    CHECK(items["Items"][0]["Id"].get<std::string>().find_first_not_of("0123456789") == std::string::npos);
  }
}

TEST_CASE("writes change the state as the real server would and are recorded", "[fakes][e2e]") {
  SECTION("plex: scrobble plays now, unscrobble clears, timeline sets the position") {
    auto plex = FakeProcess::start("plex", kSmall);
    const json movie = plex.get_json("/__fake/items?type=movie").at(0);
    const std::string key = movie["id"];
    CHECK(movie["watched"] == false);
    httplib::Client cli("127.0.0.1", plex.port());
    const int64_t before = std::time(nullptr);
    auto res = cli.Put("/:/scrobble?identifier=com.plexapp.plugins.library&key=" + key, plex_headers(plex), "", "");
    REQUIRE(res);
    CHECK(res->status == 200);
    json after = fake_item(plex, key);
    CHECK(after["watched"] == true);
    CHECK(after["played_at"].get<int64_t>() >= before);
    const json meta = plex.get_json("/library/metadata/" + key)["MediaContainer"]["Metadata"][0];
    CHECK(meta["viewCount"] == 1);
    CHECK(meta.contains("lastViewedAt"));

    cli.Get("/:/unscrobble?identifier=com.plexapp.plugins.library&key=" + key, plex_headers(plex));
    after = fake_item(plex, key);
    CHECK(after["watched"] == false);
    CHECK(after["played_at"].is_null());
    const json meta2 = plex.get_json("/library/metadata/" + key)["MediaContainer"]["Metadata"][0];
    CHECK_FALSE(meta2.contains("viewCount"));
    CHECK_FALSE(meta2.contains("lastViewedAt"));

    auto h = plex_headers(plex);
    h.emplace("X-Plex-Client-Identifier", "tests");
    cli.Post("/:/timeline?ratingKey=" + key + "&key=/library/metadata/" + key +
                 "&identifier=com.plexapp.plugins.library&state=stopped&time=60000&duration=6000000",
             h, "", "");
    CHECK(fake_item(plex, key)["progress_ms"] == 60000);

    const json writes = plex.get_json("/__fake/writes");
    REQUIRE(writes.size() == 3);
    CHECK(writes[0]["method"] == "PUT");
    CHECK(writes[0]["path"] == "/:/scrobble");
    CHECK(writes[0]["query"]["key"] == key);
    CHECK(writes[1]["path"] == "/:/unscrobble");
    CHECK(writes[2]["query"]["time"] == "60000");
  }
  SECTION("jellyfin: the client's datePlayed is kept to the tick; unplay clears date and position") {
    auto jf = FakeProcess::start("jellyfin", kSmall);
    const std::string uid = user_id(jf);
    const std::string id = jf.get_json("/__fake/items?type=episode").at(0)["id"];
    const std::string date = "2024-01-02T03:04:05.1234567Z";
    const json ud = jf.post_json("/UserPlayedItems/" + id + "?userId=" + uid + "&datePlayed=" + date, json::object());
    CHECK(ud["Played"] == true);
    CHECK(ud["LastPlayedDate"] == date);
    const json item = jf.get_json("/Items/" + id + "?userId=" + uid);
    CHECK(item["UserData"]["LastPlayedDate"] == date);
    CHECK(fake_item(jf, id)["played_at"] == 1704164645);

    const json progress = jf.post_json("/UserItems/" + id + "/UserData?userId=" + uid,
                                       {{"PlaybackPositionTicks", 1200000000}, {"LastPlayedDate", nullptr}});
    CHECK(progress["PlaybackPositionTicks"] == 1200000000);
    CHECK(fake_item(jf, id)["progress_ms"] == 120000);

    httplib::Client cli("127.0.0.1", jf.port());
    auto res = cli.Delete("/Users/" + uid + "/PlayedItems/" + id + "?api_key=" + jf.token());
    REQUIRE(res);
    CHECK(res->status == 200);
    const json cleared = json::parse(res->body);
    CHECK(cleared["Played"] == false);
    CHECK_FALSE(cleared.contains("LastPlayedDate"));
    CHECK(fake_item(jf, id)["progress_ms"] == 0);
    const json writes = jf.get_json("/__fake/writes");
    REQUIRE(writes.size() == 3);
    CHECK(writes[1]["body"].get<std::string>().find("PlaybackPositionTicks") != std::string::npos);
    CHECK(writes[2]["query"]["api_key"] == "***");
  }
  SECTION("emby: DatePlayed as yyyyMMddHHmmss") {
    auto emby = FakeProcess::start("emby", kSmall);
    const std::string uid = user_id(emby);
    const std::string id = emby.get_json("/__fake/items?type=movie").at(1)["id"];
    const json ud = emby.post_json("/emby/Users/" + uid + "/PlayedItems/" + id + "?DatePlayed=20240102030405",
                                   json::object());
    CHECK(ud["Played"] == true);
    CHECK(fake_item(emby, id)["played_at"] == 1704164645);
    CHECK(emby.get_json("/__fake/writes").at(0)["path"] == "/Users/" + uid + "/PlayedItems/" + id);
  }
  SECTION("an unknown item is a 404 and changes nothing") {
    auto plex = FakeProcess::start("plex", kSmall);
    httplib::Client cli("127.0.0.1", plex.port());
    auto res = cli.Get("/:/scrobble?identifier=com.plexapp.plugins.library&key=999999999", plex_headers(plex));
    REQUIRE(res);
    CHECK(res->status == 404);
  }
}

TEST_CASE("webhooks are sent in each server's own framing", "[fakes][e2e]") {
  Receiver rx;
  SECTION("plex: multipart payload part plus a JPEG thumb, PlexMediaServer user agent") {
    auto plex = FakeProcess::start("plex", kSmall);
    const std::string id = plex.get_json("/__fake/items?type=episode").at(0)["id"];
    plex.post_json("/__fake/act", {{"item", id}, {"action", "play"}, {"at", 1700000000}});
    const json sent = plex.post_json("/__fake/webhook", {{"url", rx.url()}, {"event", "media.play"}, {"item", id}});
    CHECK(sent["status"] == 200);
    const httplib::Request req = rx.wait(1);
    CHECK(req.get_header_value("User-Agent").starts_with("PlexMediaServer/"));
    REQUIRE(req.is_multipart_form_data());
    REQUIRE(req.has_file("payload"));
    REQUIRE(req.has_file("thumb"));
    CHECK(req.get_file_value("thumb").content_type == "image/jpeg");
    const json payload = json::parse(req.get_file_value("payload").content);
    CHECK(payload["event"] == "media.play");
    CHECK(payload["Server"]["uuid"] == plex.get_json("/__fake/info")["server_id"]);
    CHECK(payload["Metadata"]["ratingKey"] == id);
    CHECK(payload["Metadata"]["type"] == "episode");
    CHECK(payload["Metadata"]["lastViewedAt"] == 1700000000);
    CHECK(payload["Metadata"].contains("grandparentRatingKey"));
  }
  SECTION("jellyfin: flat JSON as text/plain with Provider_ keys, nulls and stream noise") {
    auto jf = FakeProcess::start("jellyfin", kSmall);
    const std::string id = jf.get_json("/__fake/items?type=movie").at(0)["id"];
    jf.post_json("/__fake/act", {{"item", id}, {"action", "play"}});
    jf.post_json("/__fake/webhook", {{"url", rx.url()}, {"event", "UserDataSaved"}, {"item", id}});
    const httplib::Request req = rx.wait(1);
    CHECK(req.get_header_value("User-Agent").starts_with("Jellyfin-Server/"));
    CHECK(req.get_header_value("Content-Type").starts_with("text/plain"));
    const json body = json::parse(req.body);
    CHECK(body["NotificationType"] == "UserDataSaved");
    CHECK(body["ItemId"] == id);
    CHECK(body["Played"] == true);
    CHECK(body["SaveReason"] == "TogglePlayed");
    CHECK(body.contains("Provider_imdb"));
    CHECK(body["Overview"].is_null());
    CHECK(body.contains("Video_0_Codec"));
  }
  SECTION("emby: multipart field data by default, raw JSON when asked") {
    auto emby = FakeProcess::start("emby", kSmall);
    const std::string id = emby.get_json("/__fake/items?type=movie").at(0)["id"];
    emby.post_json("/__fake/webhook", {{"url", rx.url()}, {"event", "item.markplayed"}, {"item", id}});
    httplib::Request req = rx.wait(1);
    CHECK(req.get_header_value("User-Agent").starts_with("Emby Server/"));
    REQUIRE(req.has_file("data"));
    const json body = json::parse(req.get_file_value("data").content);
    CHECK(body["Event"] == "item.markplayed");
    CHECK(body["Item"]["Id"] == id);
    CHECK(body["Server"]["Id"].get<std::string>().size() == 32);
    emby.post_json("/__fake/webhook", {{"url", rx.url()}, {"event", "playback.stop"}, {"item", id},
                                       {"framing", "json"}, {"played_to_completion", true}});
    req = rx.wait(2);
    CHECK(req.get_header_value("Content-Type") == "application/json");
    CHECK(json::parse(req.body)["PlaybackInfo"]["PlayedToCompletion"] == true);
  }
}

TEST_CASE("injected failures: 500, 429 with Retry-After, truncated JSON, a hang", "[fakes][e2e]") {
  auto jf = FakeProcess::start("jellyfin", kSmall);
  httplib::Client cli("127.0.0.1", jf.port());
  const httplib::Headers auth{{"X-Emby-Token", jf.token()}};
  SECTION("500") {
    jf.post_json("/__fake/fail", {{"fail", "500:1"}, {"requests", 1}});
    CHECK(cli.Get("/System/Info", auth)->status == 500);
    CHECK(cli.Get("/System/Info", auth)->status == 200);
  }
  SECTION("429 then success") {
    jf.post_json("/__fake/fail", {{"fail", "429:1"}, {"requests", 2}});
    auto res = cli.Get("/Users", auth);
    CHECK(res->status == 429);
    CHECK(res->get_header_value("Retry-After") == "1");
    CHECK(cli.Get("/Users", auth)->status == 429);
    CHECK(cli.Get("/Users", auth)->status == 200);
  }
  SECTION("truncate") {
    jf.post_json("/__fake/fail", {{"fail", "truncate:1"}, {"requests", 1}});
    auto res = cli.Get("/Users", auth);
    CHECK(res->status == 200);
    CHECK(json::parse(res->body, nullptr, false).is_discarded());
  }
  SECTION("hang until the client gives up") {
    jf.post_json("/__fake/fail", {{"fail", "hang:1"}, {"requests", 1}});
    httplib::Client impatient("127.0.0.1", jf.port());
    impatient.set_read_timeout(0, 300000);
    const auto t0 = std::chrono::steady_clock::now();
    auto res = impatient.Get("/Users", auth);
    CHECK_FALSE(res);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    CHECK(cli.Get("/Users", auth)->status == 200);
  }
  SECTION("--fail on the command line is counted in the stats") {
    auto flaky = FakeProcess::start("plex", with(kSmall, {"--fail", "500:0.3,429:0.2"}));
    httplib::Client c2("127.0.0.1", flaky.port());
    int errors = 0;
    for (int i = 0; i < 40; ++i) errors += c2.Get("/library/sections", plex_headers(flaky))->status != 200;
    CHECK(errors > 5);
    CHECK(errors < 35);
    const json stats = flaky.get_json("/__fake/stats");
    CHECK(stats["faults"].value("500", 0) + stats["faults"].value("429", 0) == errors);
    CHECK(stats["routes"]["GET /library/sections"]["count"] == 40);
  }
}

namespace {

httplib::Headers mb_headers(const FakeProcess& f) { return {{"X-Emby-Token", f.token()}}; }

// The episodes of one series' season 1 on this fake (by /__fake/items), in order.
json season_one(const FakeProcess& f, const std::string& series) {
  json out = json::array();
  for (const auto& it : f.get_json("/__fake/items?type=episode")) {
    if (it["title"] == series && it["season"] == 1) out.push_back(it);
  }
  return out;
}

// (series, season, episode) of every episode the items cover, a multi-episode item counting once
// per episode.
std::set<std::tuple<std::string, int, int>> episodes_covered(const json& items) {
  std::set<std::tuple<std::string, int, int>> out;
  for (const auto& it : items) {
    const int first = it["episode"], last = it.value("episode_end", first);
    for (int e = first; e <= last; ++e) out.emplace(it["title"], it["season"], e);
  }
  return out;
}

}  // namespace

TEST_CASE("a two-episode file: Plex lists each part, Jellyfin and Emby one item, or two with --split-multi-episode",
          "[fakes][e2e]") {
  auto plex = FakeProcess::start("plex", kSmall);
  auto jf = FakeProcess::start("jellyfin", kSmall);
  auto jf_split = FakeProcess::start("jellyfin", with(kSmall, {"--split-multi-episode"}));
  auto emby_split = FakeProcess::start("emby", with(kSmall, {"--split-multi-episode"}));

  json parts = json::array();
  for (const auto& it : plex.get_json("/__fake/items?type=episode")) {
    if (it["path"].get<std::string>().find("S01E01-E02") != std::string::npos) parts.push_back(it);
  }
  REQUIRE(parts.size() == 2);
  const std::string series = parts[0]["title"];
  const std::string e1 = parts[0]["id"], e2 = parts[1]["id"];
  CHECK(parts[0]["episode"] == 1);
  CHECK(parts[1]["episode"] == 2);
  CHECK(e1 != e2);
  CHECK(parts[0]["path"] == parts[1]["path"]);
  CHECK_FALSE(parts[0].contains("episode_end"));

  SECTION("plex: two items, index 1 and 2, one file, a view state each") {
    plex.post_json("/__fake/act", {{"item", e1}, {"action", "play"}});
    const json md = plex.get_json("/library/metadata/" + e1 + "," + e2)["MediaContainer"]["Metadata"];
    REQUIRE(md.size() == 2);
    CHECK(md[0]["ratingKey"] == e1);
    CHECK(md[0]["index"] == 1);
    CHECK(md[1]["index"] == 2);
    CHECK(md[0]["Media"][0]["Part"][0]["file"] == md[1]["Media"][0]["Part"][0]["file"]);
    CHECK(md[0]["viewCount"] == 1);
    CHECK_FALSE(md[1].contains("viewCount"));
  }
  SECTION("jellyfin without the flag: one item E01-E02 with IndexNumberEnd") {
    const json eps = season_one(jf, series);
    REQUIRE(eps.size() == 2);
    CHECK(eps[0]["episode"] == 1);
    CHECK(eps[0]["episode_end"] == 2);
    CHECK(eps[1]["episode"] == 3);
    const json api = jf.get_json("/Items/" + eps[0]["id"].get<std::string>() + "?userId=" + user_id(jf));
    CHECK(api["IndexNumber"] == 1);
    CHECK(api["IndexNumberEnd"] == 2);
    CHECK(api["Path"].get<std::string>().find("S01E01-E02.mkv") != std::string::npos);
    CHECK(jf.get_json("/__fake/info")["split_multi_episode"] == false);
  }
  SECTION("jellyfin and emby with the flag: two files of one episode each, with their own ids") {
    for (const FakeProcess* f : {&jf_split, &emby_split}) {
      INFO(f->type());
      const json eps = season_one(*f, series);
      REQUIRE(eps.size() == 3);
      for (int k = 0; k < 3; ++k) {
        CHECK(eps[k]["episode"] == k + 1);
        CHECK_FALSE(eps[k].contains("episode_end"));
      }
      CHECK(eps[0]["path"].get<std::string>().ends_with("S01E01.mkv"));
      CHECK(eps[1]["path"].get<std::string>().ends_with("S01E02.mkv"));
      CHECK(eps[0]["id"] != eps[1]["id"]);
      const json api = f->get_json("/Users/" + user_id(*f) + "/Items/" + eps[1]["id"].get<std::string>());
      CHECK(api["IndexNumber"] == 2);
      CHECK_FALSE(api.contains("IndexNumberEnd"));
      CHECK(f->get_json("/__fake/info")["split_multi_episode"] == true);
    }
  }
  SECTION("one catalogue: the same episodes in every shape") {
    const auto covered = episodes_covered(plex.get_json("/__fake/items?type=episode"));
    CHECK(covered.size() == 24);
    CHECK(episodes_covered(jf.get_json("/__fake/items?type=episode")) == covered);
    CHECK(episodes_covered(jf_split.get_json("/__fake/items?type=episode")) == covered);
    CHECK(episodes_covered(emby_split.get_json("/__fake/items?type=episode")) == covered);
  }
}

TEST_CASE("a removed item leaves the library (404 on its routes, gone from listings and counts) until it is added again",
          "[fakes][e2e]") {
  SECTION("plex") {
    auto plex = FakeProcess::start("plex", kSmall);
    httplib::Client cli("127.0.0.1", plex.port());
    const std::string movie = plex.get_json("/__fake/items?type=movie").at(0)["id"];
    const json removed = plex.post_json("/__fake/act", {{"item", movie}, {"action", "remove"}});
    CHECK(removed["removed"] == true);
    CHECK(status_of(cli.Get("/library/metadata/" + movie, plex_headers(plex))) == 404);
    CHECK(status_of(cli.Put("/:/scrobble?identifier=com.plexapp.plugins.library&key=" + movie, plex_headers(plex),
                            "", "")) == 404);
    const json movies = plex.get_json("/library/sections/1/all?type=1");
    CHECK(movies["MediaContainer"]["size"] == 29);
    for (const auto& m : movies["MediaContainer"]["Metadata"]) CHECK(m["ratingKey"] != movie);
    CHECK(plex.get_json("/__fake/items?id=" + movie).empty());
    CHECK(plex.get_json("/__fake/info")["movies"] == 29);
    CHECK(cli.Post("/__fake/act", json{{"item", movie}, {"action", "play"}}.dump(), "application/json")->status == 404);

    // Episodes: the series' counts drop; with all gone the series and its seasons go too.
    const json episodes = plex.get_json("/__fake/items?type=episode");
    const std::string series = episodes.at(0)["series_id"];
    const int64_t leaves = plex.get_json("/library/metadata/" + series)["MediaContainer"]["Metadata"][0]["leafCount"];
    std::vector<std::string> of_series;
    for (const auto& e : episodes) {
      if (e["series_id"] == series) of_series.push_back(e["id"]);
    }
    REQUIRE(int64_t(of_series.size()) == leaves);
    plex.post_json("/__fake/act", {{"item", of_series[0]}, {"action", "remove"}});
    CHECK(plex.get_json("/library/metadata/" + series)["MediaContainer"]["Metadata"][0]["leafCount"] == leaves - 1);
    CHECK(plex.get_json("/library/metadata/" + series + "/allLeaves")["MediaContainer"]["size"] == leaves - 1);
    for (const auto& id : of_series) plex.post_json("/__fake/act", {{"item", id}, {"action", "remove"}});
    CHECK(status_of(cli.Get("/library/metadata/" + series, plex_headers(plex))) == 404);
    CHECK(plex.get_json("/library/sections/2/all?type=2")["MediaContainer"]["size"] == 3);
    CHECK(plex.get_json("/library/sections/2/all?type=3")["MediaContainer"]["size"] == 6);
    CHECK(plex.get_json("/library/sections/2/all?type=4")["MediaContainer"]["size"] == 24 - leaves);

    const json back = plex.post_json("/__fake/act", {{"item", movie}, {"action", "add"}, {"at", 1750000000}});
    CHECK(back["added_at"] == 1750000000);
    CHECK(back["watched"] == false);
    CHECK(plex.get_json("/library/metadata/" + movie)["MediaContainer"]["Metadata"][0]["addedAt"] == 1750000000);
    CHECK(plex.get_json("/library/sections/1/all?type=1")["MediaContainer"]["size"] == 30);
  }
  SECTION("jellyfin and emby") {
    for (const char* type : {"jellyfin", "emby"}) {
      INFO(type);
      auto f = FakeProcess::start(type, kSmall);
      httplib::Client cli("127.0.0.1", f.port());
      const std::string uid = user_id(f);
      const json episode = f.get_json("/__fake/items?type=episode").at(0);
      const std::string id = episode["id"], series = episode["series_id"];
      const std::string movie = f.get_json("/__fake/items?type=movie").at(0)["id"];
      const json series_before = f.get_json("/Users/" + uid + "/Items/" + series);
      f.post_json("/__fake/act", {{"item", id}, {"action", "remove"}});
      f.post_json("/__fake/act", {{"item", movie}, {"action", "remove"}});
      CHECK(status_of(cli.Get("/Users/" + uid + "/Items/" + id, mb_headers(f))) == 404);
      CHECK(status_of(cli.Get("/Items/" + id + "?userId=" + uid, mb_headers(f))) == 404);
      CHECK(status_of(cli.Post("/Users/" + uid + "/PlayedItems/" + id, mb_headers(f), "", "")) == 404);
      CHECK(status_of(cli.Post("/Users/" + uid + "/Items/" + id + "/UserData", mb_headers(f), "{}",
                               "application/json")) == 404);
      const json all = f.get_json("/Users/" + uid + "/Items?ParentId=" + library_id(f, "shows") +
                                  "&Recursive=true&IncludeItemTypes=Episode");
      CHECK(all["TotalRecordCount"] == 22);
      for (const auto& it : all["Items"]) CHECK(it["Id"] != id);
      CHECK(f.get_json("/Users/" + uid + "/Items?Ids=" + id + "," + movie)["TotalRecordCount"] == 0);
      const json series_after = f.get_json("/Users/" + uid + "/Items/" + series);
      CHECK(series_after["UserData"]["UnplayedItemCount"] == series_before["UserData"]["UnplayedItemCount"].get<int>() - 1);
      const json views = f.get_json("/Users/" + uid + "/Views");
      CHECK(views["Items"][0]["ChildCount"] == 29);
      f.post_json("/__fake/act", {{"item", id}, {"action", "add"}});
      CHECK(f.get_json("/Users/" + uid + "/Items/" + id)["Id"] == id);
    }
  }
}

TEST_CASE("ignore_writes makes a write answer as done and change nothing, until accept_writes", "[fakes][e2e]") {
  SECTION("plex") {
    auto plex = FakeProcess::start("plex", kSmall);
    httplib::Client cli("127.0.0.1", plex.port());
    const std::string key = plex.get_json("/__fake/items?type=movie").at(0)["id"];
    CHECK(plex.post_json("/__fake/act", {{"item", key}, {"action", "ignore_writes"}})["ignore_writes"] == true);
    CHECK(status_of(cli.Put("/:/scrobble?identifier=com.plexapp.plugins.library&key=" + key, plex_headers(plex), "",
                            "")) == 200);
    auto h = plex_headers(plex);
    h.emplace("X-Plex-Client-Identifier", "tests");
    CHECK(status_of(cli.Post("/:/timeline?ratingKey=" + key + "&key=/library/metadata/" + key +
                                 "&state=stopped&time=60000&duration=6000000",
                             h, "", "")) == 200);
    const json meta = plex.get_json("/library/metadata/" + key)["MediaContainer"]["Metadata"][0];
    CHECK_FALSE(meta.contains("viewCount"));
    CHECK_FALSE(meta.contains("viewOffset"));
    CHECK(plex.get_json("/__fake/writes").size() == 2);  // received all the same

    CHECK_FALSE(plex.post_json("/__fake/act", {{"item", key}, {"action", "accept_writes"}}).contains("ignore_writes"));
    cli.Put("/:/scrobble?identifier=com.plexapp.plugins.library&key=" + key, plex_headers(plex), "", "");
    CHECK(fake_item(plex, key)["watched"] == true);
  }
  SECTION("jellyfin and emby") {
    for (const char* type : {"jellyfin", "emby"}) {
      INFO(type);
      auto f = FakeProcess::start(type, kSmall);
      const std::string uid = user_id(f);
      const std::string id = f.get_json("/__fake/items?type=episode").at(2)["id"];
      f.post_json("/__fake/act", {{"item", id}, {"action", "ignore_writes"}});
      const json reply = f.post_json("/Users/" + uid + "/PlayedItems/" + id, json::object());
      CHECK(reply["Played"] == true);
      CHECK(reply["PlayCount"] == 1);
      CHECK(reply.contains("LastPlayedDate"));
      CHECK(f.get_json("/Users/" + uid + "/Items/" + id)["UserData"]["Played"] == false);
      const json progress = f.post_json("/Users/" + uid + "/Items/" + id + "/UserData",
                                        {{"PlaybackPositionTicks", 1200000000}});
      CHECK(progress["PlaybackPositionTicks"] == 1200000000);
      CHECK(fake_item(f, id)["progress_ms"] == 0);
      CHECK(fake_item(f, id)["watched"] == false);
      f.post_json("/__fake/act", {{"item", id}, {"action", "accept_writes"}});
      f.post_json("/Users/" + uid + "/PlayedItems/" + id, json::object());
      CHECK(fake_item(f, id)["watched"] == true);
    }
  }
}

TEST_CASE("jellyfin and emby: /Users/{user}/Items without ParentId, not recursive, is the user's root: the library views",
          "[fakes][e2e]") {
  for (const char* type : {"jellyfin", "emby"}) {
    INFO(type);
    auto f = FakeProcess::start(type, kSmall);
    const std::string uid = user_id(f);
    for (const std::string& path : {"/Users/" + uid + "/Items", "/users/" + uid + "/items/", "/Items?userId=" + uid,
                                   "/Users/" + uid + "/Items?Recursive=false"}) {
      INFO(path);
      const json root = f.get_json(path);
      CHECK(root["TotalRecordCount"] == 2);
      REQUIRE(root["Items"].size() == 2);
      std::set<std::string> kinds;
      for (const auto& it : root["Items"]) {
        CHECK(it["Type"] == "CollectionFolder");
        kinds.insert(it["CollectionType"].get<std::string>());
      }
      CHECK(kinds == std::set<std::string>{"movies", "tvshows"});
      CHECK(root["Items"][0]["Id"] == library_id(f, "movies"));
    }
    CHECK(f.get_json("/Users/" + uid + "/Items?IncludeItemTypes=Movie")["TotalRecordCount"] == 0);
    CHECK(f.get_json("/Users/" + uid + "/Items?Recursive=true")["TotalRecordCount"] == 30 + 4 + 8 + 23);
    CHECK(f.get_json("/Users/" + uid + "/Items?ParentId=" + library_id(f, "movies"))["TotalRecordCount"] == 30);
  }
}

TEST_CASE("webhooks fill what the caller leaves out from the item's last act, as the real server does",
          "[fakes][e2e]") {
  Receiver rx;
  SECTION("jellyfin: UserDataSaved's SaveReason and PlaybackStop's PlayedToCompletion") {
    auto jf = FakeProcess::start("jellyfin", kSmall);
    const json info = jf.get_json("/__fake/info");
    const std::string id = jf.get_json("/__fake/items?type=episode").at(1)["id"];
    const int64_t runtime = jf.get_json("/Items/" + id)["RunTimeTicks"];

    jf.post_json("/__fake/act", {{"item", id}, {"action", "play"}});
    json body = hook(jf, rx, {{"event", "UserDataSaved"}, {"item", id}});
    CHECK(body["SaveReason"] == "TogglePlayed");
    CHECK(body["Played"] == true);
    CHECK(body["ServerId"] == info["server_id"]);
    CHECK(body["UserId"] == info["user_id"]);
    body = hook(jf, rx, {{"event", "PlaybackStop"}, {"item", id}});
    CHECK(body["PlayedToCompletion"] == true);
    CHECK(body["PlaybackPositionTicks"].get<int64_t>() * 10 >= runtime * 9);

    const int64_t position_ms = runtime / 10'000 * 4 / 10;
    jf.post_json("/__fake/act", {{"item", id}, {"action", "progress"}, {"progress_ms", position_ms}});
    body = hook(jf, rx, {{"event", "UserDataSaved"}, {"item", id}});
    CHECK(body["SaveReason"] == "PlaybackProgress");
    CHECK(body["PlaybackPositionTicks"] == position_ms * 10'000);
    body = hook(jf, rx, {{"event", "PlaybackStop"}, {"item", id}});
    CHECK(body["PlayedToCompletion"] == false);
    CHECK(body["PlaybackPositionTicks"] == position_ms * 10'000);

    jf.post_json("/__fake/act", {{"item", id}, {"action", "unplay"}});
    body = hook(jf, rx, {{"event", "UserDataSaved"}, {"item", id}});
    CHECK(body["SaveReason"] == "TogglePlayed");
    CHECK(body["Played"] == false);
    // What the caller gives wins.
    body = hook(jf, rx, {{"event", "UserDataSaved"}, {"item", id}, {"save_reason", "PlaybackFinished"},
                         {"account_id", "0123456789abcdef0123456789abcdef"}, {"account_title", "other"}});
    CHECK(body["SaveReason"] == "PlaybackFinished");
    CHECK(body["UserId"] == "0123456789abcdef0123456789abcdef");
    CHECK(body["NotificationUsername"] == "other");
  }
  SECTION("emby: playback.stop played to completion past 90 %, not below") {
    auto emby = FakeProcess::start("emby", kSmall);
    const json info = emby.get_json("/__fake/info");
    const std::string id = emby.get_json("/__fake/items?type=movie").at(4)["id"];
    const int64_t runtime = emby.get_json("/Items/" + id)["RunTimeTicks"];
    emby.post_json("/__fake/act", {{"item", id}, {"action", "play"}});
    json body = hook(emby, rx, {{"event", "playback.stop"}, {"item", id}});
    CHECK(body["PlaybackInfo"]["PlayedToCompletion"] == true);
    CHECK(body["PlaybackInfo"]["PositionTicks"].get<int64_t>() * 10 >= runtime * 9);
    CHECK(body["Server"]["Id"] == info["server_id"]);
    CHECK(body["User"]["Id"] == info["user_id"]);
    const int64_t position_ms = runtime / 10'000 / 2;
    emby.post_json("/__fake/act", {{"item", id}, {"action", "progress"}, {"progress_ms", position_ms}});
    body = hook(emby, rx, {{"event", "playback.stop"}, {"item", id}});
    CHECK(body["PlaybackInfo"]["PlayedToCompletion"] == false);
    CHECK(body["PlaybackInfo"]["PositionTicks"] == position_ms * 10'000);
    emby.post_json("/__fake/act", {{"item", id}, {"action", "progress"}, {"progress_ms", runtime / 10'000 * 95 / 100}});
    CHECK(hook(emby, rx, {{"event", "playback.stop"}, {"item", id}})["PlaybackInfo"]["PlayedToCompletion"] == true);
  }
  SECTION("plex: viewOffset after progress, the owner's account unless another is named") {
    auto plex = FakeProcess::start("plex", kSmall);
    const json info = plex.get_json("/__fake/info");
    const std::string id = plex.get_json("/__fake/items?type=episode").at(3)["id"];
    plex.post_json("/__fake/act", {{"item", id}, {"action", "progress"}, {"progress_ms", 600000}});
    json body = hook(plex, rx, {{"event", "media.stop"}, {"item", id}});
    CHECK(body["Metadata"]["viewOffset"] == 600000);
    CHECK(body["Server"]["uuid"] == info["server_id"]);
    CHECK(body["Account"]["id"] == 1);
    CHECK(body["user"] == true);
    CHECK(body["owner"] == true);
    plex.post_json("/__fake/act", {{"item", id}, {"action", "play"}});
    body = hook(plex, rx, {{"event", "media.scrobble"}, {"item", id}});
    CHECK_FALSE(body["Metadata"].contains("viewOffset"));
    CHECK(body["Metadata"]["viewCount"] == 1);

    // A shared user's play reaches the owner's webhook with the guest's account.
    const json guest = info["accounts"][1];
    CHECK(guest["owner"] == false);
    body = hook(plex, rx, {{"event", "media.scrobble"}, {"item", id}, {"account_id", guest["id"]},
                           {"account_title", guest["title"]}});
    CHECK(body["Account"]["id"] == std::stoll(guest["id"].get<std::string>()));
    CHECK(body["Account"]["title"] == guest["title"]);
    CHECK(body["user"] == false);
    CHECK(body["owner"] == true);
    httplib::Client cli("127.0.0.1", plex.port());
    auto refused = cli.Post("/__fake/webhook",
                            json{{"url", rx.url()}, {"event", "media.play"}, {"item", id}, {"account_id", "guest"}}.dump(),
                            "application/json");
    CHECK(status_of(refused) == 400);

    // /accounts: what a real PMS lists to its owner's token (0: the system; 1: the owner).
    const json accounts = plex.get_json("/accounts")["MediaContainer"]["Account"];
    REQUIRE(accounts.size() == 3);
    CHECK(accounts[0]["id"] == 0);
    CHECK(accounts[1]["id"] == 1);
    CHECK(accounts[1]["name"] == "fakeuser");
    CHECK(accounts[2]["id"] == std::stoll(guest["id"].get<std::string>()));
  }
}

TEST_CASE("with --echo-webhooks Jellyfin and Emby send the webhook of a write through their API", "[fakes][e2e]") {
  Receiver rx;
  SECTION("jellyfin: UserDataSaved, TogglePlayed for marks and UpdateUserData for user data") {
    auto jf = FakeProcess::start("jellyfin", with(kSmall, {"--webhook-url", rx.url(), "--echo-webhooks"}));
    const std::string uid = user_id(jf);
    const json movies = jf.get_json("/__fake/items?type=movie");
    const std::string id = movies.at(0)["id"];
    jf.post_json("/UserPlayedItems/" + id + "?userId=" + uid, json::object());
    httplib::Request req = rx.wait(1);
    CHECK(req.get_header_value("User-Agent").starts_with("Jellyfin-Server/"));
    json body = json::parse(req.body);
    CHECK(body["NotificationType"] == "UserDataSaved");
    CHECK(body["SaveReason"] == "TogglePlayed");
    CHECK(body["Played"] == true);
    CHECK(body["ItemId"] == id);
    CHECK(body["UserId"] == uid);
    httplib::Client cli("127.0.0.1", jf.port());
    REQUIRE(status_of(cli.Delete("/UserPlayedItems/" + id + "?userId=" + uid, mb_headers(jf))) == 200);
    body = json::parse(rx.wait(2).body);
    CHECK(body["SaveReason"] == "TogglePlayed");
    CHECK(body["Played"] == false);
    jf.post_json("/UserItems/" + id + "/UserData?userId=" + uid, {{"PlaybackPositionTicks", 600000000}});
    body = json::parse(rx.wait(3).body);
    CHECK(body["SaveReason"] == "UpdateUserData");
    CHECK(body["PlaybackPositionTicks"] == 600000000);

    // No echo for what a person does, nor for a write the server ignored.
    const std::string other = movies.at(1)["id"];
    jf.post_json("/__fake/act", {{"item", other}, {"action", "play"}});
    jf.post_json("/__fake/act", {{"item", other}, {"action", "ignore_writes"}});
    jf.post_json("/UserPlayedItems/" + other + "?userId=" + uid, json::object());
    CHECK(jf.get_json("/__fake/stats")["echoes"]["queued"] == 3);
    // /__fake/webhook sends to --webhook-url when no url is given.
    CHECK(jf.post_json("/__fake/webhook", {{"event", "ItemAdded"}, {"item", other}})["status"] == 200);
    CHECK(json::parse(rx.wait(4).body)["NotificationType"] == "ItemAdded");
    // The fake counts an echo as sent once its POST returned, which may be after the receiver
    // saw it: wait for the count, with a deadline.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (jf.get_json("/__fake/stats")["echoes"]["sent"] != 3 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling the condition
    CHECK(jf.get_json("/__fake/stats")["echoes"]["sent"] == 3);
  }
  SECTION("emby: item.markplayed and item.markunplayed") {
    auto emby = FakeProcess::start("emby", with(kSmall, {"--webhook-url", rx.url(), "--echo-webhooks"}));
    const std::string uid = user_id(emby);
    const std::string id = emby.get_json("/__fake/items?type=episode").at(0)["id"];
    emby.post_json("/emby/Users/" + uid + "/PlayedItems/" + id, json::object());
    json body = webhook_json("emby", rx.wait(1));
    CHECK(body["Event"] == "item.markplayed");
    CHECK(body["Item"]["Id"] == id);
    CHECK(body["Item"]["UserData"]["Played"] == true);
    CHECK(body["User"]["Id"] == uid);
    httplib::Client cli("127.0.0.1", emby.port());
    REQUIRE(status_of(cli.Delete("/Users/" + uid + "/PlayedItems/" + id, mb_headers(emby))) == 200);
    CHECK(webhook_json("emby", rx.wait(2))["Event"] == "item.markunplayed");
  }
  SECTION("plex sends nothing for a mark, and --echo-webhooks needs --webhook-url") {
    auto plex = FakeProcess::start("plex", with(kSmall, {"--webhook-url", rx.url(), "--echo-webhooks"}));
    CHECK(plex.get_json("/__fake/info")["echo_webhooks"] == false);
    CHECK_FALSE(plex.get_json("/__fake/stats").contains("echoes"));
    try {
      FakeProcess::start("jellyfin", with(kSmall, {"--echo-webhooks"}));
      FAIL("started without --webhook-url");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find("--webhook-url") != std::string::npos);
    }
  }
}
