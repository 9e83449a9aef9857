// The request -> answer decision of ingest, without a socket (the same function the HTTP server
// and a fuzz target call), on the hand-written payloads of tests/data/webhooks.
#include <catch2/catch.hpp>

#include "webhook_test_util.h"
#include "ws/webhook_intake.h"

using namespace ws;

namespace {

constexpr size_t kMax = 1 << 20;

ServersFile configured() {
  ServersFile f;
  auto add = [&f](std::string name, ServerType type, std::string uuid, std::string user) {
    ServerConfig s;
    s.name = std::move(name);
    s.type = type;
    s.url = "http://x";
    s.uuid = std::move(uuid);
    s.user = std::move(user);
    f.servers.push_back(s);
  };
  add("my_plex", ServerType::plex, "5f0c1e2d3b4a59687766554433221100aabbccdd", "");
  add("my_jf", ServerType::jellyfin, "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d");
  add("my_emby", ServerType::emby, "e3b0c44298fc1c149afbf4c8996fb924", "7e0f6a4c9b1d4e2f8a3b5c6d7e8f9a0b");
  f.servers[1].webhook_token = "jf-token";
  return f;
}

IntakeRequest request(const std::string& type, const std::string& key, const WebhookRequest& body) {
  IntakeRequest r;
  if (!type.empty()) r.query["type"] = type;
  if (!key.empty()) r.query["apikey"] = key;
  r.headers["content-type"] = body.content_type;
  r.body = body.body;
  r.content_length = body.body.size();
  r.received_at = 1'760'000'000;
  return r;
}

IntakeRequest plex(const std::string& file, const std::string& key = "global") {
  return request("plex", key, test::plex_request(test::webhook_data(file)));
}
IntakeRequest jellyfin(const std::string& file, const std::string& key = "global") {
  return request("jellyfin", key, test::json_request(test::webhook_data(file), "text/plain"));
}
IntakeRequest emby(const std::string& file, const std::string& key = "global") {
  return request("emby", key, test::json_request(test::webhook_data(file), "application/json"));
}

}  // namespace

TEST_CASE("a valid webhook from a configured server is accepted for that server", "[ingest][intake]") {
  WebhookSenders senders("global", configured());
  SECTION("Plex scrobble by the owner (account 1)") {
    auto d = decide(plex("plex_episode_scrobble.json"), senders, kMax);
    CHECK(d.status == 202);
    REQUIRE(d.accepted);
    CHECK(d.accepted->server == "my_plex");
    CHECK(d.accepted->event.item.server == "my_plex");
    CHECK(d.accepted->event.kind == WebhookKind::completed_play);
    CHECK(d.accepted->received_at == 1'760'000'000);
    CHECK_THAT(d.x_status, Catch::StartsWith("accepted: completed_play media.scrobble for my_plex"));
  }
  SECTION("Jellyfin TogglePlayed, key in the X-Apikey header") {
    auto r = jellyfin("jellyfin_userdata_toggle_played.json", "");
    r.headers["x-apikey"] = "global";
    auto d = decide(r, senders, kMax);
    CHECK(d.status == 202);
    REQUIRE(d.accepted);
    CHECK(d.accepted->server == "my_jf");
    CHECK(d.accepted->event.kind == WebhookKind::state_change);
  }
  SECTION("Jellyfin with the server's own token") {
    auto d = decide(jellyfin("jellyfin_playback_stop_episode.json", "jf-token"), senders, kMax);
    CHECK(d.status == 202);
    CHECK(d.accepted->server == "my_jf");
  }
  SECTION("Emby mark played; the type any case") {
    auto r = emby("emby_markplayed_episode.json");
    r.query["type"] = "Emby";
    auto d = decide(r, senders, kMax);
    CHECK(d.status == 202);
    CHECK(d.accepted->server == "my_emby");
  }
}

TEST_CASE("a missing or wrong key is 401, whatever else the request holds", "[ingest][intake]") {
  WebhookSenders senders("global", configured());
  auto none = decide(plex("plex_episode_scrobble.json", ""), senders, kMax);
  CHECK(none.status == 401);
  CHECK_THAT(none.x_status, Catch::StartsWith("unauthorized: no key"));
  CHECK_FALSE(none.accepted);
  auto wrong = decide(plex("plex_episode_scrobble.json", "globa"), senders, kMax);
  CHECK(wrong.status == 401);
  CHECK_THAT(wrong.x_status, Catch::StartsWith("unauthorized: the key is not valid") && !Catch::Contains("globa"));
  auto bad_token = decide(jellyfin("jellyfin_playback_stop_episode.json", "jf-token-2"), senders, kMax);
  CHECK(bad_token.status == 401);
  // 401 comes before the type and the size: an unknown caller learns nothing else.
  auto r = request("nope", "wrong", test::json_request("{", "text/plain"));
  r.content_length = 5 << 20;
  CHECK(decide(r, senders, kMax).status == 401);
}

TEST_CASE("a bad type, an oversized or a malformed body is refused", "[ingest][intake]") {
  WebhookSenders senders("global", configured());
  SECTION("no type, or one that is not a server type") {
    auto r = jellyfin("jellyfin_userdata_toggle_played.json");
    r.query.erase("type");
    auto d = decide(r, senders, kMax);
    CHECK(d.status == 400);
    CHECK_THAT(d.x_status, Catch::Contains("no type"));
    r.query["type"] = "kodi\r\nX-Evil: 1";
    d = decide(r, senders, kMax);
    CHECK(d.status == 400);
    CHECK_THAT(d.x_status, Catch::Contains("kodi??X-Evil: 1") && !Catch::Contains("\r"));
  }
  SECTION("413 by Content-Length before the body is read, and by the body itself") {
    auto r = jellyfin("jellyfin_userdata_toggle_played.json");
    r.content_length = 2048;
    auto head = check_head(r, senders, 1024);
    CHECK(head.status == 413);
    CHECK_THAT(head.x_status, Catch::Contains("1024"));
    auto streamed = jellyfin("jellyfin_userdata_toggle_played.json");
    streamed.content_length.reset();
    streamed.body_too_long = true;
    CHECK(decide(streamed, senders, kMax).status == 413);
    CHECK(check_head(jellyfin("jellyfin_userdata_toggle_played.json"), senders, kMax).status == 0);
  }
  SECTION("a body the parser cannot read") {
    auto d = decide(request("jellyfin", "global", test::json_request("{\"NotificationType\": ", "text/plain")), senders, kMax);
    CHECK(d.status == 400);
    CHECK_THAT(d.x_status, Catch::StartsWith("bad_request: malformed jellyfin webhook"));
    auto p = decide(request("plex", "global", test::json_request("{}", "application/json")), senders, kMax);
    CHECK(p.status == 400);
    CHECK_THAT(p.x_status, Catch::Contains("multipart"));
    auto e = decide(request("emby", "global", test::json_request("[1,2]", "application/json")), senders, kMax);
    CHECK(e.status == 400);
  }
}

TEST_CASE("valid webhooks that are not taken are 200 with the reason in X-Status", "[ingest][intake]") {
  ServersFile servers = configured();
  WebhookSenders senders("global", servers);
  auto check = [](const IntakeDecision& d, IgnoreReason reason) {
    CHECK(d.status == 200);
    REQUIRE(d.ignored);
    CHECK(*d.ignored == reason);
    CHECK_THAT(d.x_status, Catch::StartsWith(std::string(to_string(reason)) + ": "));
    CHECK_FALSE(d.accepted);
  };
  SECTION("event kind not used") {
    check(decide(plex("plex_admin_backup.json"), senders, kMax), IgnoreReason::event_not_used);
    check(decide(plex("plex_track_play.json"), senders, kMax), IgnoreReason::event_not_used);
    check(decide(jellyfin("jellyfin_session_start.json"), senders, kMax), IgnoreReason::event_not_used);
    check(decide(emby("emby_notification_test.json"), senders, kMax), IgnoreReason::event_not_used);
  }
  SECTION("sender not configured (another Plex server)") {
    check(decide(plex("plex_movie_play.json"), senders, kMax), IgnoreReason::sender_not_configured);
  }
  SECTION("other user (a Plex shared user, a Jellyfin user of another configuration)") {
    std::string payload = test::webhook_data("plex_episode_scrobble.json");
    payload.replace(payload.find("\"id\": 1,"), 8, "\"id\": 23456789,");
    check(decide(request("plex", "global", test::plex_request(payload)), senders, kMax), IgnoreReason::other_user);
    ServersFile other = servers;
    other.servers[1].user = "someone-else";
    WebhookSenders s2("global", other);
    check(decide(jellyfin("jellyfin_userdata_toggle_played.json"), s2, kMax), IgnoreReason::other_user);
  }
  SECTION("import disabled for that server") {
    ServersFile off = servers;
    off.servers[2].webhook_import = false;
    WebhookSenders s2("global", off);
    check(decide(emby("emby_markplayed_episode.json"), s2, kMax), IgnoreReason::import_disabled);
  }
}

TEST_CASE("header_safe keeps one printable line", "[ingest][intake]") {
  CHECK(header_safe("a\r\nb\x01\xc3\xa9") == "a??b???");
  CHECK(header_safe(std::string(500, 'x'), 10) == std::string(10, 'x'));
}
