#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "webhook_test_util.h"
#include "ws/webhook_parser.h"

using namespace ws;
using nlohmann::json;

namespace {

// Each Emby payload both ways it can arrive: form field `data`, and a raw JSON body.
std::vector<std::pair<std::string, WebhookRequest>> framings(const std::string& payload) {
  WebhookRequest form;
  form.content_type = "multipart/form-data; boundary=\"" + test::kBoundary + "\"";
  form.user_agent = "Emby Server/4.9.1.80";
  form.body = test::multipart_body(test::kBoundary, {{"data", payload, "", ""}});
  return {{"multipart data field", form}, {"raw JSON", test::json_request(payload, "application/json")}};
}

Result<WebhookEvent> parse_json(const json& j) {
  return parse_emby_webhook(test::json_request(j.dump(), "application/json"));
}

}  // namespace

TEST_CASE("Emby item.markplayed is a manual mark played, multipart or raw", "[emby_webhook]") {
  for (auto& [framing, request] : framings(test::webhook_data("emby_markplayed_episode.json"))) {
    DYNAMIC_SECTION(framing) {
      auto event = parse_webhook(ServerType::emby, request);
      REQUIRE(event.ok());
      CHECK(event->type == ServerType::emby);
      CHECK(event->kind == WebhookKind::state_change);
      CHECK(event->event_name == "item.markplayed");
      CHECK(event->server_id == "e3b0c44298fc1c149afbf4c8996fb924");
      CHECK(event->server_name == "embyhome");
      CHECK(event->user_id == "7e0f6a4c9b1d4e2f8a3b5c6d7e8f9a0b");
      CHECK(event->user_name == "alice");
      CHECK(event->event_time == 1755292782);
      const MediaItem& item = event->item;
      CHECK(item.type == MediaType::episode);
      CHECK(item.item_id == "51234");
      CHECK(item.series_id == "51000");
      CHECK(item.title == "Breaking Bad");
      CHECK(item.episode_title == "Ozymandias");
      CHECK(item.season == 5);
      CHECK(item.episode == 14);
      CHECK(item.year == 2013);
      CHECK(item.guids == Guids{{"imdb", "tt2301451"}, {"tvdb", "4639458"}, {"tvmaze", "13421"}});
      CHECK(item.watched);
      CHECK(item.played_at == 1755292781);
      CHECK(item.added_at == 1614834367);
      CHECK(item.path == "/media/tv/Breaking Bad/Season 05/S05E14.mkv");
    }
  }
}

TEST_CASE("Emby item.markunplayed is a manual mark unplayed", "[emby_webhook]") {
  auto event = parse_emby_webhook(test::json_request(test::webhook_data("emby_markunplayed_movie.json"), "text/plain"));
  REQUIRE(event.ok());
  CHECK(event->kind == WebhookKind::state_change);
  CHECK_FALSE(event->item.watched);
  CHECK(event->item.played_at == 0);
  CHECK(event->item.type == MediaType::movie);
  CHECK(event->item.guids == Guids{{"imdb", "tt0133093"}, {"tmdb", "603"}});
}

TEST_CASE("Emby playback.stop played to completion is a completed play, otherwise tainted", "[emby_webhook]") {
  const std::string payload = test::webhook_data("emby_playback_stop_completed.json");
  SECTION("PlayedToCompletion true") {
    auto event = parse_emby_webhook(test::json_request(payload, "application/json"));
    REQUIRE(event.ok());
    CHECK(event->kind == WebhookKind::completed_play);
    CHECK(event->item.watched);
    CHECK(event->item.played_at == 1755336600);
    CHECK(event->item.progress_ms == 8'150'000);  // PlaybackInfo wins over UserData
  }
  SECTION("PlayedToCompletion false or absent") {
    auto j = json::parse(payload);
    j["PlaybackInfo"]["PlayedToCompletion"] = false;
    auto event = parse_json(j);
    REQUIRE(event.ok());
    CHECK(event->kind == WebhookKind::tainted_play);
    j["PlaybackInfo"].erase("PlayedToCompletion");
    event = parse_json(j);
    REQUIRE(event.ok());
    CHECK(event->kind == WebhookKind::tainted_play);
  }
  SECTION("start, pause and unpause are tainted plays") {
    for (const char* name : {"playback.start", "playback.pause", "playback.unpause"}) {
      auto j = json::parse(test::webhook_data("emby_playback_pause.json"));
      j["Event"] = name;
      auto event = parse_json(j);
      REQUIRE(event.ok());
      CHECK(event->kind == WebhookKind::tainted_play);
      CHECK(event->item.progress_ms == 2'400'000);
      CHECK_FALSE(event->item.watched);
    }
  }
}

TEST_CASE("Emby library.new is an item added for movies and episodes only; tests are ignored", "[emby_webhook]") {
  auto series = parse_emby_webhook(test::json_request(test::webhook_data("emby_library_new_series.json"), "application/json"));
  REQUIRE(series.ok());
  CHECK(series->kind == WebhookKind::ignored);
  CHECK(series->ignore_reason.find("'Series'") != std::string::npos);

  auto j = json::parse(test::webhook_data("emby_markunplayed_movie.json"));
  j["Event"] = "library.new";
  auto added = parse_json(j);
  REQUIRE(added.ok());
  CHECK(added->kind == WebhookKind::item_added);

  for (auto& [framing, request] : framings(test::webhook_data("emby_notification_test.json"))) {
    auto test_event = parse_emby_webhook(request);
    REQUIRE(test_event.ok());
    CHECK(test_event->kind == WebhookKind::ignored);
    CHECK(test_event->ignore_reason == "Emby notification test");
  }

  j["Event"] = "user.authenticated";
  auto other = parse_json(j);
  REQUIRE(other.ok());
  CHECK(other->kind == WebhookKind::ignored);
}

TEST_CASE("malformed Emby webhooks are refused with a sentence", "[emby_webhook]") {
  const std::string payload = test::webhook_data("emby_markplayed_episode.json");
  SECTION("multipart without a data field") {
    WebhookRequest r = framings(payload)[0].second;
    r.body = test::multipart_body(test::kBoundary, {{"other", payload, "", ""}});
    auto event = parse_emby_webhook(r);
    REQUIRE_FALSE(event.ok());
    CHECK(event.error().message.find("'data'") != std::string::npos);
  }
  SECTION("multipart without a boundary") {
    auto event = parse_emby_webhook(test::json_request(payload, "multipart/form-data"));
    REQUIRE_FALSE(event.ok());
    CHECK(event.error().message.find("boundary") != std::string::npos);
  }
  SECTION("not JSON") {
    auto event = parse_emby_webhook(test::json_request("<xml/>", "application/xml"));
    REQUIRE_FALSE(event.ok());
    CHECK(event.error().message.find("not valid JSON") != std::string::npos);
  }
  SECTION("no Event, no Item, no Item.Id") {
    auto j = json::parse(payload);
    j.erase("Event");
    CHECK_FALSE(parse_json(j).ok());
    j = json::parse(payload);
    j.erase("Item");
    auto r = parse_json(j);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("Item") != std::string::npos);
    j = json::parse(payload);
    j["Item"]["Id"] = nullptr;
    CHECK_FALSE(parse_json(j).ok());
  }
  SECTION("wrong types inside the item do not crash") {
    auto j = json::parse(payload);
    j["Item"]["ProviderIds"] = "tt1";
    j["Item"]["UserData"] = 3;
    j["Item"]["ParentIndexNumber"] = json::array();
    j["Date"] = 17;
    j["User"] = "alice";
    auto r = parse_json(j);
    REQUIRE(r.ok());
    CHECK(r->item.guids.empty());
    CHECK(r->item.season == -1);
    CHECK(r->user_id.empty());
  }
}
