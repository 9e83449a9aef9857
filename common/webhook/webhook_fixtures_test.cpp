// The parsers on the shared reference fixtures (DESIGN §11), when that folder is present. They are
// read in place, never copied into the project.
#include <catch2/catch.hpp>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "fixtures_dir.h"
#include "webhook_test_util.h"
#include "ws/webhook_parser.h"

using namespace ws;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {


// A value of the type a type-map entry names ("string", "number", "boolean", "UUID", "URL",
// "PATH", or a list of those). Keys that decide the parse get meaningful values.
json synthesize(const json& type_map, const std::string& key = "") {
  if (type_map.is_object()) {
    json out = json::object();
    for (auto it = type_map.begin(); it != type_map.end(); ++it) out[it.key()] = synthesize(it.value(), it.key());
    return out;
  }
  if (type_map.is_array()) {
    if (!type_map.empty() && type_map.front().is_string()) return synthesize(type_map.front(), key);  // one of
    json out = json::array();
    for (const auto& element : type_map) out.push_back(synthesize(element, key));
    return out;
  }
  const std::string type = type_map.is_string() ? type_map.get<std::string>() : "";
  if (key == "type") return "episode";
  if (key == "ratingKey") return "101";
  if (key == "grandparentRatingKey") return "100";
  if (type == "number") return 7;
  if (type == "boolean") return true;
  if (type == "UUID") return "0a1b2c3d-0000-4000-8000-00000000abcd";
  if (type == "URL") return key == "guid" ? "plex://episode/5d9c0874ffd9ef001e99607a" : "https://example.invalid/x";
  if (type == "PATH") return "/library/metadata/101";
  return "text";
}

}  // namespace

TEST_CASE("Plex payloads built from the recorded type map parse as their events", "[webhook_fixtures]") {
  const fs::path dir = testing::fixtures_dir();
  if (!fs::is_directory(dir)) {
    WARN(testing::kFixturesAbsent << dir.string());
    return;
  }
  const fs::path file = dir / "plex" / "webhook_payload_type_analysis.json";
  const json types = json::parse(test::read_file(file));
  REQUIRE(types.is_object());
  const std::map<std::string, WebhookKind> expected{
      {"media.play", WebhookKind::tainted_play},   {"media.resume", WebhookKind::tainted_play},
      {"media.stop", WebhookKind::tainted_play},   {"media.pause", WebhookKind::tainted_play},
      {"media.scrobble", WebhookKind::completed_play}, {"library.new", WebhookKind::item_added},
      {"playback.started", WebhookKind::ignored}};
  size_t checked = 0;
  for (auto it = types.begin(); it != types.end(); ++it) {
    INFO("event " << it.key());
    json payload = synthesize(it.value());
    payload["event"] = it.key();
    // fileInfo describes the multipart file part (the thumb), not the JSON.
    std::vector<test::FormPart> parts{{"payload", "", "application/json", ""}};
    if (payload.contains("fileInfo")) {
      for (size_t i = 0; i < payload["fileInfo"].size(); ++i)
        parts.push_back({"thumb", test::fake_jpeg(), "image/jpeg", "thumb.jpg"});
      payload.erase("fileInfo");
    }
    parts[0].body = payload.dump();
    WebhookRequest request = test::plex_request("{}");
    request.body = test::multipart_body(test::kBoundary, parts);
    auto event = parse_plex_webhook(request);
    REQUIRE(event.ok());
    auto want = expected.find(it.key());
    if (want != expected.end()) CHECK(event->kind == want->second);
    if (event->kind != WebhookKind::ignored) {
      CHECK(event->item.item_id == "101");
      CHECK(event->item.type == MediaType::episode);
      // Not every event's map lists every field: check what it lists.
      const json& md = it.value()["Metadata"];
      if (md.contains("parentIndex")) CHECK(event->item.season == 7);
      if (md.contains("index")) CHECK(event->item.episode == 7);
      if (md.contains("viewOffset")) CHECK(event->item.progress_ms == 7);
      if (md.contains("addedAt")) CHECK(event->item.added_at == 7);
      CHECK(event->server_id == "0a1b2c3d-0000-4000-8000-00000000abcd");
    }
    ++checked;
  }
  CHECK(checked >= 6);
}

TEST_CASE("the synthetic Jellyfin and Emby webhooks of the shared fixtures parse", "[webhook_fixtures]") {
  const fs::path dir = testing::fixtures_dir();
  if (!fs::is_directory(dir)) {
    WARN(testing::kFixturesAbsent << dir.string());
    return;
  }
  const fs::path file = dir / "emby" / "watchstate_mediabrowser_synthetic.json";
  const json data = json::parse(test::read_file(file));
  SECTION("Jellyfin") {
    REQUIRE(data.contains("webhook_jellyfin"));
    auto event = parse_jellyfin_webhook(test::json_request(data["webhook_jellyfin"].dump(), "text/plain"));
    REQUIRE(event.ok());
    CHECK(event->kind == WebhookKind::tainted_play);
    CHECK(event->item.item_id == "item-1");
    CHECK(event->item.type == MediaType::movie);
    CHECK(event->item.progress_ms == 80'000);
    CHECK(event->item.guids == Guids{{"imdb", "tt123"}, {"tmdb", "123"}});  // lowercase provider_ keys
  }
  SECTION("Emby, raw and multipart") {
    REQUIRE(data.contains("webhook_emby"));
    const std::string payload = data["webhook_emby"].dump();
    WebhookRequest form;
    form.content_type = "multipart/form-data; boundary=" + test::kBoundary;
    form.body = test::multipart_body(test::kBoundary, {{"data", payload, "", ""}});
    for (const auto& request : {test::json_request(payload, "application/json"), form}) {
      auto event = parse_emby_webhook(request);
      REQUIRE(event.ok());
      CHECK(event->kind == WebhookKind::state_change);
      CHECK(event->item.watched);
      CHECK(event->item.item_id == "item-1");
      CHECK(event->item.guids == Guids{{"imdb", "tt123"}, {"tmdb", "123"}});
      CHECK(event->item.added_at == 1577923200);
    }
  }
}
