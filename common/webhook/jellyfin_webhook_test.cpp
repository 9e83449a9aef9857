#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "webhook_test_util.h"
#include "ws/webhook_parser.h"

using namespace ws;
using nlohmann::json;

namespace {

Result<WebhookEvent> parse_file(const std::string& file, const std::string& content_type = "text/plain; charset=utf-8") {
  return parse_webhook(ServerType::jellyfin, test::json_request(test::webhook_data(file), content_type));
}

Result<WebhookEvent> parse_json(const json& j) {
  return parse_jellyfin_webhook(test::json_request(j.dump(), "application/json"));
}

}  // namespace

TEST_CASE("a Jellyfin PlaybackStop as text/plain with nulls and noise keys is a tainted play", "[jellyfin_webhook]") {
  auto event = parse_file("jellyfin_playback_stop_episode.json");
  REQUIRE(event.ok());
  CHECK(event->type == ServerType::jellyfin);
  CHECK(event->kind == WebhookKind::tainted_play);
  CHECK(event->server_id == "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
  CHECK(event->server_name == "jelly");
  CHECK(event->user_id == "6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d");  // dashes and capitals normalized
  CHECK(event->user_name == "alice");
  CHECK(event->event_time == 1755292782);
  const MediaItem& item = event->item;
  CHECK(item.type == MediaType::episode);
  CHECK(item.item_id == "a1b2c3d4e5f60718293a4b5c6d7e8f90");
  CHECK(item.series_id == "11112222333344445555666677778888");
  CHECK(item.title == "Breaking Bad");
  CHECK(item.episode_title == "Pilot");
  CHECK(item.season == 1);
  CHECK(item.episode == 1);
  CHECK(item.year == 2008);
  CHECK(item.guids == Guids{{"imdb", "tt0959621"}, {"tvdb", "349232"}});
  CHECK(item.parent.empty());
  CHECK(item.progress_ms == 1'234'567);
  CHECK_FALSE(item.watched);
}

TEST_CASE("Jellyfin PlaybackStart is a tainted play, PlaybackProgress a progress report", "[jellyfin_webhook]") {
  auto start = json::parse(test::webhook_data("jellyfin_playback_stop_episode.json"));
  start["NotificationType"] = "PlaybackStart";
  auto event = parse_json(start);
  REQUIRE(event.ok());
  CHECK(event->kind == WebhookKind::tainted_play);

  auto progress = parse_file("jellyfin_playback_progress.json", "application/json");
  REQUIRE(progress.ok());
  CHECK(progress->kind == WebhookKind::progress);
  CHECK(progress->item.progress_ms == 3'600'000);  // ticks sent as a string
}

TEST_CASE("Jellyfin UserDataSaved means a mark, a completed play or a progress save", "[jellyfin_webhook]") {
  SECTION("TogglePlayed to played is a manual mark played") {
    auto event = parse_file("jellyfin_userdata_toggle_played.json");
    REQUIRE(event.ok());
    CHECK(event->kind == WebhookKind::state_change);
    CHECK(event->item.watched);
    CHECK(event->item.played_at == 1755338398);
    CHECK(event->item.type == MediaType::movie);
    CHECK(event->item.title == "The Matrix");
    CHECK(event->item.guids == Guids{{"imdb", "tt0133093"}, {"tmdb", "603"}});
    CHECK(event->item.play_count == 1);
  }
  SECTION("TogglePlayed to unplayed is a manual mark unplayed") {
    auto event = parse_file("jellyfin_userdata_toggle_unplayed.json");
    REQUIRE(event.ok());
    CHECK(event->kind == WebhookKind::state_change);
    CHECK_FALSE(event->item.watched);
    CHECK(event->item.played_at == 0);
  }
  SECTION("PlaybackFinished with Played true is a completed play") {
    auto event = parse_file("jellyfin_userdata_finished.json");
    REQUIRE(event.ok());
    CHECK(event->kind == WebhookKind::completed_play);
    CHECK(event->item.watched);
    CHECK(event->item.played_at == 1755292780);
  }
  SECTION("PlaybackFinished with Played false is a progress save, never an unmark") {
    auto j = json::parse(test::webhook_data("jellyfin_userdata_finished.json"));
    j["Played"] = false;
    auto event = parse_json(j);
    REQUIRE(event.ok());
    CHECK(event->kind == WebhookKind::progress);
  }
  SECTION("other save reasons are progress saves") {
    for (const char* reason : {"PlaybackProgress", "PlaybackStart", "UpdateUserRating", ""}) {
      auto j = json::parse(test::webhook_data("jellyfin_userdata_toggle_played.json"));
      j["SaveReason"] = reason;
      auto event = parse_json(j);
      REQUIRE(event.ok());
      CHECK(event->kind == WebhookKind::progress);
    }
    auto j = json::parse(test::webhook_data("jellyfin_userdata_toggle_played.json"));
    j["SaveReason"] = nullptr;
    auto event = parse_json(j);
    REQUIRE(event.ok());
    CHECK(event->kind == WebhookKind::progress);
  }
  SECTION("TogglePlayed without Played is refused") {
    auto j = json::parse(test::webhook_data("jellyfin_userdata_toggle_played.json"));
    j["Played"] = nullptr;
    auto event = parse_json(j);
    REQUIRE_FALSE(event.ok());
    CHECK(event.error().message.find("Played") != std::string::npos);
  }
}

TEST_CASE("Jellyfin ItemAdded is an item added; other notifications are ignored", "[jellyfin_webhook]") {
  auto added = parse_file("jellyfin_item_added_movie.json");
  REQUIRE(added.ok());
  CHECK(added->kind == WebhookKind::item_added);
  CHECK(added->item.guids == Guids{{"imdb", "tt0245429"}, {"tmdb", "129"}});
  CHECK(added->item.year == 2001);

  auto session = parse_file("jellyfin_session_start.json");
  REQUIRE(session.ok());
  CHECK(session->kind == WebhookKind::ignored);
  CHECK(session->ignore_reason.find("SessionStart") != std::string::npos);

  auto series = json::parse(test::webhook_data("jellyfin_item_added_movie.json"));
  series["ItemType"] = "Series";
  auto ignored = parse_json(series);
  REQUIRE(ignored.ok());
  CHECK(ignored->kind == WebhookKind::ignored);
  CHECK(ignored->ignore_reason.find("'Series'") != std::string::npos);
}

TEST_CASE("malformed Jellyfin webhooks are refused with a sentence", "[jellyfin_webhook]") {
  SECTION("not JSON") {
    auto r = parse_jellyfin_webhook(test::json_request("NotificationType=PlaybackStop", "text/plain"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("not valid JSON") != std::string::npos);
  }
  SECTION("empty body") {
    CHECK_FALSE(parse_jellyfin_webhook(test::json_request("", "text/plain")).ok());
    CHECK_FALSE(parse_jellyfin_webhook(test::json_request("   ", "text/plain")).ok());
  }
  SECTION("truncated JSON") {
    const std::string body = test::webhook_data("jellyfin_playback_stop_episode.json");
    for (size_t n = 1; n < body.size(); n += 97)
      CHECK_FALSE(parse_jellyfin_webhook(test::json_request(body.substr(0, n), "text/plain")).ok());
  }
  SECTION("no NotificationType") {
    auto r = parse_json(json{{"ItemId", "abc"}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("NotificationType") != std::string::npos);
  }
  SECTION("no ItemId on an item event") {
    auto j = json::parse(test::webhook_data("jellyfin_playback_progress.json"));
    j["ItemId"] = nullptr;
    auto r = parse_json(j);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("ItemId") != std::string::npos);
  }
  SECTION("multipart framing") {
    auto r = parse_jellyfin_webhook(test::plex_request("{}"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("not multipart") != std::string::npos);
  }
  SECTION("values of the wrong type") {
    auto j = json::parse(test::webhook_data("jellyfin_playback_stop_episode.json"));
    j["SeasonNumber"] = "x";
    j["PlaybackPositionTicks"] = json::array();
    j["Provider_imdb"] = 12;
    j["ServerId"] = json::object();
    auto r = parse_json(j);
    REQUIRE(r.ok());
    CHECK(r->item.season == -1);
    CHECK(r->item.progress_ms == 0);
    CHECK(r->server_id.empty());
  }
}
