// The normalized event as event.webhook carries it (docs/protocol.md "Events"): JSON and back.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "webhook_test_util.h"
#include "ws/webhook_parser.h"

using namespace ws;

TEST_CASE("a parsed event survives to_json and from_json unchanged", "[webhook][event_json]") {
  for (const auto& [type, request] :
       {std::pair{ServerType::plex, test::plex_request(test::webhook_data("plex_episode_scrobble.json"))},
        std::pair{ServerType::jellyfin,
                  test::json_request(test::webhook_data("jellyfin_userdata_toggle_unplayed.json"), "text/plain")},
        std::pair{ServerType::emby,
                  test::json_request(test::webhook_data("emby_playback_stop_completed.json"), "application/json")}}) {
    WebhookRequest r = request;
    r.received_at = 1'760'000'000;
    auto parsed = parse_webhook(type, r);
    REQUIRE(parsed);
    parsed->item.server = "my_server";
    const nlohmann::json j = *parsed;
    // Through MessagePack, as the message codec carries it.
    const auto back = nlohmann::json::from_msgpack(nlohmann::json::to_msgpack(j)).get<WebhookEvent>();
    CHECK(back.type == parsed->type);
    CHECK(back.kind == parsed->kind);
    CHECK(back.server_id == parsed->server_id);
    CHECK(back.user_id == parsed->user_id);
    CHECK(back.event_name == parsed->event_name);
    CHECK(back.event_time == parsed->event_time);
    CHECK(back.event_id == parsed->event_id);
    CHECK(back.item == parsed->item);
  }
}

TEST_CASE("from_json refuses an event it cannot read, naming what", "[webhook][event_json]") {
  nlohmann::json j = {{"type", "kodi"}, {"kind", "progress"}, {"item", {{"type", "movie"}}}};
  CHECK_THROWS_WITH(j.get<WebhookEvent>(), Catch::Contains("kodi"));
  j["type"] = "plex";
  j["kind"] = "sideways";
  CHECK_THROWS_WITH(j.get<WebhookEvent>(), Catch::Contains("sideways"));
  j["kind"] = "progress";
  j.erase("item");
  CHECK_THROWS(j.get<WebhookEvent>());
}
