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

// A receiver for webhooks: keeps the last request.
struct Receiver {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<httplib::Request> last;

  Receiver() {
    server.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mutex);
        last = req;
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
  httplib::Request wait() {
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [this] { return last.has_value(); }));
    return *last;
  }
};

}  // namespace

TEST_CASE("fakes of every type with one catalogue seed list the same media with the same external ids",
          "[fakes][e2e]") {
  auto plex = FakeProcess::start("plex", kSmall);
  auto jf = FakeProcess::start("jellyfin", kSmall);
  auto emby = FakeProcess::start("emby", kSmall);
  const json a = plex.get_json("/__fake/items");
  const json b = jf.get_json("/__fake/items");
  const json c = emby.get_json("/__fake/items");
  REQUIRE(a.size() == 30 + 4 * 2 * 3 - 1);  // show 1 starts with a two-episode file
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() == c.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].dump());
    CHECK(a[i]["title"] == b[i]["title"]);
    CHECK(a[i]["season"] == c[i]["season"]);
    CHECK(a[i]["episode"] == c[i]["episode"]);
    for (const char* source : {"imdb", "tmdb", "tvdb"}) {
      CHECK(a[i]["guids"].value(source, "") == b[i]["guids"].value(source, ""));
      CHECK(a[i]["guids"].value(source, "") == c[i]["guids"].value(source, ""));
      CHECK(a[i]["series_guids"].value(source, "") == c[i]["series_guids"].value(source, ""));
    }
    CHECK(a[i]["id"] != b[i]["id"]);
    CHECK(b[i]["id"] != c[i]["id"]);
  }

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
    CHECK(count["totalSize"] == 23);
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
    const httplib::Request req = rx.wait();
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
    const httplib::Request req = rx.wait();
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
    httplib::Request req = rx.wait();
    CHECK(req.get_header_value("User-Agent").starts_with("Emby Server/"));
    REQUIRE(req.has_file("data"));
    const json body = json::parse(req.get_file_value("data").content);
    CHECK(body["Event"] == "item.markplayed");
    CHECK(body["Item"]["Id"] == id);
    CHECK(body["Server"]["Id"].get<std::string>().size() == 32);
    {
      std::lock_guard lock(rx.mutex);
      rx.last.reset();
    }
    emby.post_json("/__fake/webhook", {{"url", rx.url()}, {"event", "playback.stop"}, {"item", id},
                                       {"framing", "json"}, {"played_to_completion", true}});
    req = rx.wait();
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
