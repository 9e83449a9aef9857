#include <catch2/catch.hpp>

#include "ws/message.h"

TEST_CASE("a message round-trips and gets a version and an id", "[message]") {
  auto encoded = ws::encode_message({"job.fetch", {{"server", "my_plex"}, {"start", 0}}});
  CHECK(encoded.type_frame == "job.fetch");
  auto decoded = ws::decode_message(encoded.type_frame, encoded.body_frame);
  REQUIRE(decoded.ok());
  CHECK(decoded->type == "job.fetch");
  CHECK(decoded->body["v"] == ws::kMessageSchemaVersion);
  CHECK(decoded->body["server"] == "my_plex");
  CHECK_FALSE(decoded->body["id"].get<std::string>().empty());
}

TEST_CASE("two messages never share an id", "[message]") {
  auto a = ws::decode_message("ack", ws::encode_message({"ack", {}}).body_frame);
  auto b = ws::decode_message("ack", ws::encode_message({"ack", {}}).body_frame);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->body["id"] != b->body["id"]);
}

TEST_CASE("unknown types, versions and garbage are refused with a reason", "[message]") {
  auto good = ws::encode_message({"heartbeat", {}});
  SECTION("unknown type") {
    auto r = ws::decode_message("job.bogus", good.body_frame);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "unknown message type 'job.bogus'");
  }
  SECTION("newer version") {
    auto newer = ws::encode_message({"heartbeat", {{"v", 99}}});
    auto r = ws::decode_message("heartbeat", newer.body_frame);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("schema version 99 is not supported"));
  }
  SECTION("not msgpack") {
    auto r = ws::decode_message("heartbeat", "\xc1\xc1garbage");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("not a MessagePack object"));
  }
  SECTION("no id") {
    std::string body;
    nlohmann::json::to_msgpack(nlohmann::json{{"v", 1}}, nlohmann::detail::output_adapter<char>(body));
    auto r = ws::decode_message("heartbeat", body);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("no 'id'"));
  }
}
