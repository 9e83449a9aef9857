#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli_testutil.h"

using ws::testing::DataDir;
using ws::testing::run;

namespace {

std::string webhook_file(const std::string& name) {
  return (std::filesystem::path(WS_SOURCE_DIR) / "tests" / "data" / "webhooks" / name).string();
}

std::string read(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("webhook:parse prints a Jellyfin event as JSON", "[cli][webhook]") {
  DataDir data;
  auto r = run({"webhook:parse", "--type", "jellyfin", webhook_file("jellyfin_userdata_toggle_played.json")});
  INFO(r.err);
  REQUIRE(r.code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["type"] == "jellyfin");
  CHECK(j["kind"] == "state_change");
  CHECK(j["event"] == "UserDataSaved");
  CHECK(j["item"]["item_id"] == "00112233445566778899aabbccddeeff");
  CHECK(j["item"]["watched"] == true);
  CHECK(j["item"]["guids"]["imdb"] == "tt0133093");
  CHECK(j["event_id"].get<std::string>().size() == 16);
}

TEST_CASE("webhook:parse reads a multipart Plex body with or without --content-type", "[cli][webhook]") {
  DataDir data;
  const std::string boundary = "----WsBoundary7MA4YWxkTrZu0gW";
  const std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"payload\"\r\n" +
                           "Content-Type: application/json\r\n\r\n" + read(webhook_file("plex_episode_scrobble.json")) +
                           "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"thumb\"; filename=\"t.jpg\"\r\n" +
                           "Content-Type: image/jpeg\r\n\r\n" + std::string("\xFF\xD8\xFF\x00\x01\xFF\xD9", 7) + "\r\n--" +
                           boundary + "--\r\n";
  const auto file = (data.path / "plex.body").string();
  data.write(file, body);
  SECTION("given") {
    auto r = run({"webhook:parse", "--type", "plex", "--content-type", "multipart/form-data; boundary=" + boundary, file});
    INFO(r.err);
    REQUIRE(r.code == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["kind"] == "completed_play");
    CHECK(j["item"]["season"] == 2);
  }
  SECTION("guessed from the body") {
    auto r = run({"webhook:parse", "--type", "plex", file});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(nlohmann::json::parse(r.out)["server_id"] == "5f0c1e2d3b4a59687766554433221100aabbccdd");
  }
  SECTION("a wrong boundary is an error naming the file") {
    auto r = run({"webhook:parse", "--type", "plex", "--content-type", "multipart/form-data; boundary=nope", file});
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("plex.body") && Catch::Contains("boundary"));
    CHECK(r.out.empty());
  }
}

TEST_CASE("webhook:parse refuses bad input and bad usage", "[cli][webhook]") {
  DataDir data;
  SECTION("an ignored event still prints, with its reason") {
    auto r = run({"webhook:parse", "--type", "emby", webhook_file("emby_notification_test.json")});
    REQUIRE(r.code == 0);
    CHECK(nlohmann::json::parse(r.out)["ignore_reason"] == "Emby notification test");
  }
  SECTION("malformed JSON") {
    const auto file = (data.path / "bad.json").string();
    data.write(file, "{\"NotificationType\": ");
    auto r = run({"webhook:parse", "--type", "jellyfin", file});
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("not valid JSON"));
  }
  SECTION("a missing file") {
    auto r = run({"webhook:parse", "--type", "emby", (data.path / "absent.json").string()});
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("absent.json"));
  }
  SECTION("an unknown type or no file") {
    CHECK(run({"webhook:parse", "--type", "kodi", webhook_file("emby_notification_test.json")}).code == 2);
    CHECK(run({"webhook:parse", "--type", "emby"}).code == 2);
  }
}
