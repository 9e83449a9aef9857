#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "webhook_test_util.h"
#include "ws/webhook_parser.h"

using namespace ws;
using nlohmann::json;

namespace {

// The payload file with its event replaced.
std::string with_event(const std::string& file, const std::string& event) {
  auto j = json::parse(test::webhook_data(file));
  j["event"] = event;
  return j.dump();
}

}  // namespace

TEST_CASE("a Plex scrobble with a thumb part is a completed play of the episode", "[plex_webhook]") {
  auto request = test::plex_request(test::webhook_data("plex_episode_scrobble.json"));
  request.received_at = 1'700'000'500;
  auto event = parse_webhook(ServerType::plex, request);
  REQUIRE(event.ok());
  CHECK(event->type == ServerType::plex);
  CHECK(event->kind == WebhookKind::completed_play);
  CHECK(event->event_name == "media.scrobble");
  CHECK(event->server_id == "5f0c1e2d3b4a59687766554433221100aabbccdd");
  CHECK(event->server_name == "Living Room");
  CHECK(event->user_id == "1");
  CHECK(event->user_name == "alice");
  CHECK(event->event_time == 1'700'000'500);
  const MediaItem& item = event->item;
  CHECK(item.type == MediaType::episode);
  CHECK(item.item_id == "4711");
  CHECK(item.series_id == "4690");
  CHECK(item.library_id == "2");
  CHECK(item.title == "Breaking Bad");
  CHECK(item.episode_title == "Bit by a Dead Bee");
  CHECK(item.season == 2);
  CHECK(item.episode == 3);
  CHECK(item.guids == Guids{{"imdb", "tt1232248"}, {"tmdb", "62093"}, {"tvdb", "438913"}});
  CHECK(item.parent == Guids{{"tvdb", "81189"}});
  REQUIRE(item.relative);
  CHECK(*item.relative == RelativeGuid{"tvdb", "81189", 2, 3});
  CHECK(item.watched);
  CHECK(item.played_at == 1'700'000'500);  // the arrival, not the previous lastViewedAt
  CHECK(item.progress_ms == 2'650'000);
  CHECK(item.play_count == 1);
  CHECK(item.added_at == 1'600'000'000);
  CHECK(item.server.empty());
  CHECK(event->event_id.size() == 16);
}

TEST_CASE("Plex play, pause, resume and stop are tainted plays with numbers sent as strings", "[plex_webhook]") {
  for (const char* name : {"media.play", "media.pause", "media.resume", "media.stop"}) {
    DYNAMIC_SECTION(name) {
      auto event = parse_plex_webhook(test::plex_request(with_event("plex_movie_play.json", name), false));
      REQUIRE(event.ok());
      CHECK(event->kind == WebhookKind::tainted_play);
      CHECK(event->event_name == name);
      CHECK(event->user_id == "42");
      const MediaItem& item = event->item;
      CHECK(item.type == MediaType::movie);
      CHECK(item.item_id == "1234");
      CHECK(item.library_id == "1");
      CHECK(item.title == "Amélie");
      CHECK(item.year == 2001);
      CHECK(item.progress_ms == 61'000);
      CHECK(item.added_at == 1'500'000'000);
      CHECK_FALSE(item.watched);
      CHECK(item.played_at == 0);
      CHECK(item.guids == Guids{{"imdb", "tt0211915"}, {"tmdb", "194"}, {"tvdb", "233"}});
      CHECK(item.path == "/media/movies/Amelie (2001)/Amelie.mkv");
      CHECK(event->event_time == 0);  // nothing received_at, nothing in the body
    }
  }
}

TEST_CASE("Plex library.new is an item added, with a legacy agent guid", "[plex_webhook]") {
  auto event = parse_plex_webhook(test::plex_request(test::webhook_data("plex_library_new_movie.json")));
  REQUIRE(event.ok());
  CHECK(event->kind == WebhookKind::item_added);
  CHECK(event->item.guids == Guids{{"imdb", "tt0133093"}});
  CHECK(event->item.added_at == 1'710'000'000);
  CHECK_FALSE(event->item.watched);
}

TEST_CASE("Plex events that are not about watch state are ignored with a reason", "[plex_webhook]") {
  SECTION("an admin event") {
    auto event = parse_plex_webhook(test::plex_request(test::webhook_data("plex_admin_backup.json"), false));
    REQUIRE(event.ok());
    CHECK(event->kind == WebhookKind::ignored);
    CHECK(event->ignore_reason.find("admin.database.backup") != std::string::npos);
    CHECK(event->server_id == "5f0c1e2d3b4a59687766554433221100aabbccdd");
  }
  SECTION("a rating and on deck") {
    for (const char* name : {"media.rate", "library.on.deck"}) {
      auto event = parse_plex_webhook(test::plex_request(with_event("plex_movie_play.json", name)));
      REQUIRE(event.ok());
      CHECK(event->kind == WebhookKind::ignored);
      CHECK_FALSE(event->ignore_reason.empty());
    }
  }
  SECTION("a music track") {
    auto event = parse_plex_webhook(test::plex_request(test::webhook_data("plex_track_play.json")));
    REQUIRE(event.ok());
    CHECK(event->kind == WebhookKind::ignored);
    CHECK(event->ignore_reason.find("'track'") != std::string::npos);
  }
}

TEST_CASE("the Plex event id is stable for one body and differs between events", "[plex_webhook]") {
  auto a = test::plex_request(test::webhook_data("plex_movie_play.json"));
  a.received_at = 100;
  auto b = test::plex_request(test::webhook_data("plex_movie_play.json"), false);
  b.received_at = 999;
  auto c = test::plex_request(with_event("plex_movie_play.json", "media.pause"));
  auto ea = parse_plex_webhook(a), eb = parse_plex_webhook(b), ec = parse_plex_webhook(c);
  REQUIRE((ea.ok() && eb.ok() && ec.ok()));
  CHECK(ea->event_id == eb->event_id);
  CHECK(ea->event_id != ec->event_id);
}

TEST_CASE("malformed Plex webhooks are refused with a sentence", "[plex_webhook]") {
  const std::string payload = test::webhook_data("plex_movie_play.json");
  SECTION("a JSON body instead of multipart") {
    auto r = parse_plex_webhook(test::json_request(payload, "application/json"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("multipart/form-data") != std::string::npos);
  }
  SECTION("no boundary in the content type") {
    auto request = test::plex_request(payload);
    request.content_type = "multipart/form-data";
    auto r = parse_plex_webhook(request);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("boundary") != std::string::npos);
  }
  SECTION("a boundary that is not the body's") {
    auto request = test::plex_request(payload);
    request.content_type = "multipart/form-data; boundary=somethingelse";
    CHECK_FALSE(parse_plex_webhook(request).ok());
  }
  SECTION("no payload part") {
    WebhookRequest request = test::plex_request(payload);
    request.body = test::multipart_body(test::kBoundary, {{"thumb", test::fake_jpeg(), "image/jpeg", "a.jpg"}});
    auto r = parse_plex_webhook(request);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("'payload'") != std::string::npos);
  }
  SECTION("payload that is not JSON, or truncated") {
    CHECK_FALSE(parse_plex_webhook(test::plex_request("{\"event\": \"media.play\", ")).ok());
    CHECK_FALSE(parse_plex_webhook(test::plex_request("[1,2,3]")).ok());
    CHECK_FALSE(parse_plex_webhook(test::plex_request("")).ok());
  }
  SECTION("missing event, Metadata or ratingKey") {
    auto no_event = json::parse(payload);
    no_event.erase("event");
    CHECK_FALSE(parse_plex_webhook(test::plex_request(no_event.dump())).ok());
    auto no_metadata = json::parse(payload);
    no_metadata.erase("Metadata");
    auto r = parse_plex_webhook(test::plex_request(no_metadata.dump()));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("Metadata") != std::string::npos);
    auto no_key = json::parse(payload);
    no_key["Metadata"].erase("ratingKey");
    CHECK_FALSE(parse_plex_webhook(test::plex_request(no_key.dump())).ok());
  }
  SECTION("wrong types everywhere do not crash") {
    auto odd = json::parse(payload);
    odd["Server"] = 5;
    odd["Account"] = json::array();
    odd["Metadata"]["Guid"] = "imdb://tt1";
    odd["Metadata"]["Media"] = json::object();
    odd["Metadata"]["year"] = json::object();
    odd["Metadata"]["viewOffset"] = "abc";
    odd["Metadata"]["index"] = 1e300;
    auto r = parse_plex_webhook(test::plex_request(odd.dump()));
    REQUIRE(r.ok());
    CHECK(r->server_id.empty());
    CHECK(r->item.year == 0);
    CHECK(r->item.progress_ms == 0);
  }
  SECTION("deeply nested JSON") {
    auto r = parse_plex_webhook(test::plex_request(std::string(100000, '[') + std::string(100000, ']')));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("deeper") != std::string::npos);
  }
  SECTION("a body over the limit") {
    WebhookRequest request = test::plex_request(payload);
    request.body.append(kMaxWebhookBodyBytes, 'x');
    auto r = parse_plex_webhook(request);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("limit") != std::string::npos);
  }
}
