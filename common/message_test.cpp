#include <random>

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

namespace {

std::string msgpack_of(const nlohmann::json& j) {
  std::string out;
  nlohmann::json::to_msgpack(j, nlohmann::detail::output_adapter<char>(out));
  return out;
}

// A body {"v": 1, "id": "x", "deep": [[...[0]...]]} whose map and lists nest `depth` levels.
std::string nested_body(int depth) {
  nlohmann::json inner = 0;
  for (int i = 1; i < depth; ++i) inner = nlohmann::json::array({inner});
  return msgpack_of({{"v", 1}, {"id", "x"}, {"deep", inner}});
}

}  // namespace

TEST_CASE("a body nested 200,000 levels deep is refused without recursing", "[message][limits]") {
  // The bytes that crashed the reconciler: 200 KB of 0x91 (a list holding a list holding ...).
  std::string bare(200000, '\x91');
  bare += '\xc0';
  auto r = ws::decode_message("event.webhook", bare);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("event.webhook:") && Catch::Contains("nests deeper than"));

  std::string in_a_map = "\x83\xa1v\x01\xa2id\xa1x\xa1" "d";
  in_a_map += std::string(200000, '\x91') + '\xc0';
  auto m = ws::decode_message("job.done", in_a_map);
  REQUIRE_FALSE(m.ok());
  CHECK_THAT(m.error().message, Catch::Contains("nests deeper than"));
}

TEST_CASE("nesting is accepted up to the depth limit and refused one level beyond", "[message][limits]") {
  CHECK(ws::decode_message("job.done", nested_body(ws::protocol::kMaxMessageDepth)).ok());
  auto r = ws::decode_message("job.done", nested_body(ws::protocol::kMaxMessageDepth + 1));
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("nests deeper than 32 levels"));
  ws::DecodeLimits tight;
  tight.max_depth = 3;
  CHECK(ws::decode_message("job.done", nested_body(3), tight).ok());
  CHECK_FALSE(ws::decode_message("job.done", nested_body(4), tight).ok());
}

TEST_CASE("a body over the size limit is refused before it is read", "[message][limits]") {
  ws::DecodeLimits limits;
  limits.max_bytes = 1024;
  const auto small = ws::encode_message({"batch.items", {{"items", std::string(900, 'a')}}});
  CHECK(ws::decode_message("batch.items", small.body_frame, limits).ok());
  const auto big = ws::encode_message({"batch.items", {{"items", std::string(2000, 'a')}}});
  auto r = ws::decode_message("batch.items", big.body_frame, limits);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("over the limit of 1024") && Catch::Contains("endpoints.max_message"));
  CHECK(ws::DecodeLimits{}.max_bytes == size_t{16} << 20);
}

TEST_CASE("malformed MessagePack is refused with where it went wrong", "[message][limits]") {
  const std::string good = ws::encode_message({"heartbeat", {{"worker", "w"}}}).body_frame;
  SECTION("every truncation") {
    for (size_t n = 0; n < good.size(); ++n) {
      INFO("first " << n << " bytes");
      CHECK_FALSE(ws::decode_message("heartbeat", good.substr(0, n)).ok());
    }
  }
  SECTION("bytes after the value") {
    auto r = ws::decode_message("heartbeat", good + '\x01');
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("bytes after its value"));
  }
  SECTION("a list that claims four billion elements") {
    auto r = ws::decode_message("heartbeat", std::string("\xdd\xff\xff\xff\xff\x01", 6));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("more elements than bytes"));
  }
  SECTION("a string that claims more bytes than there are") {
    CHECK_FALSE(ws::decode_message("heartbeat", std::string("\x81\xdb\xff\xff\xff\xff", 6)).ok());
  }
  SECTION("the unused type byte") {
    auto r = ws::decode_message("heartbeat", std::string("\x81\xa1v\xc1", 4));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("0xc1"));
  }
  SECTION("a map with a key that is not a string") {
    CHECK_FALSE(ws::decode_message("heartbeat", std::string("\x81\x01\x01", 3)).ok());
  }
  SECTION("a version too large for an int is not taken for another") {
    auto r = ws::decode_message("heartbeat", msgpack_of({{"v", (uint64_t{1} << 32) + 1}, {"id", "x"}}));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("schema version 4294967297"));
  }
  SECTION("an unknown type is quoted without its control bytes") {
    auto r = ws::decode_message(std::string("job\n\x01x", 6), good);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "unknown message type 'job??x'");
  }
}

TEST_CASE("every scalar and container type MessagePack has passes the shape check", "[message][limits]") {
  nlohmann::json body = {{"v", 1},
                         {"id", "x"},
                         {"n", nullptr},
                         {"b", true},
                         {"i", {0, 1, -1, 127, 128, -33, 300, -300, 70000, -70000, int64_t{1} << 40, -(int64_t{1} << 40)}},
                         {"u", uint64_t{1} << 63},
                         {"f", 1.5},
                         {"s", {"", std::string(40, 's'), std::string(300, 's'), std::string(70000, 's')}},
                         {"bin", nlohmann::json::binary({1, 2, 3})},
                         {"ext", nlohmann::json::binary({1, 2, 3, 4}, 7)},
                         {"list", nlohmann::json::array()},
                         {"map", nlohmann::json::object()},
                         {"long", std::vector<int>(70000, 1)}};
  auto r = ws::decode_message("job.done", msgpack_of(body));
  REQUIRE(r.ok());
  CHECK(r->body == body);
}

TEST_CASE("random bytes never crash the decoder", "[message][limits]") {
  std::mt19937 rng(7);
  const std::string seed = ws::encode_message({"batch.items", {{"items", {{{"a", 1}}, {{"b", {1, 2}}}}}}}).body_frame;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
    (void)ws::decode_message("batch.items", bytes);
  }
  SUCCEED("20,000 mutated bodies decoded or refused");
}
