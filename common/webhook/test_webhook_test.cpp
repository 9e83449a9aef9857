// The test webhook of each server type reads, through the same parser ingest uses, as that
// server's completed play of the item, addressed as the configured server and user.
#include "ws/test_webhook.h"

#include <catch2/catch.hpp>

#include "ws/webhook_parser.h"

TEST_CASE("webhook:test's event reads as a completed play of the item on every server type", "[webhook][test_webhook]") {
  for (auto type : {ws::ServerType::plex, ws::ServerType::jellyfin, ws::ServerType::emby}) {
    ws::ServerConfig server;
    server.name = "srv";
    server.type = type;
    server.uuid = "0123456789abcdef0123456789abcdef";
    server.user = type == ws::ServerType::plex ? "" : "fedcba9876543210fedcba9876543210";
    ws::MediaItem item;
    item.item_id = "4711";
    item.type = ws::MediaType::episode;
    item.title = "Lost";
    INFO(ws::to_string(type));
    auto event = ws::parse_webhook(type, ws::test_webhook(server, item));
    REQUIRE(event);
    CHECK(event->kind == ws::WebhookKind::completed_play);
    CHECK(event->item.item_id == "4711");
    CHECK(event->item.type == ws::MediaType::episode);
    CHECK(event->server_id == server.uuid);
    CHECK(event->user_id == (type == ws::ServerType::plex ? "1" : server.user));
  }
}
