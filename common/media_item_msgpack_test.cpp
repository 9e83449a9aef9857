#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "ws/media_item_msgpack.h"
#include "ws/message.h"

namespace {

ws::MediaItem movie() {
  ws::MediaItem m;
  m.server = "my_plex";
  m.item_id = "1234";
  m.library_id = "1";
  m.title = "The Shawshank Redemption";
  m.year = 1994;
  m.guids = {{"imdb", "tt0111161"}, {"tmdb", "278"}};
  m.watched = true;
  m.played_at = 1700000000;
  m.added_at = 1600000000;
  m.play_count = 3;
  m.path = "/media/movies/The Shawshank Redemption (1994)/movie.mkv";
  return m;
}

ws::MediaItem episode() {
  ws::MediaItem e;
  e.server = "jf";
  e.item_id = "0123456789abcdef0123456789abcdef";
  e.series_id = "fedcba9876543210fedcba9876543210";
  e.library_id = "lib";
  e.type = ws::MediaType::episode;
  e.title = std::string(40, 's');          // str8
  e.episode_title = std::string(300, 'e');  // str16
  e.season = 0;
  e.episode = 12;
  e.episode_end = 13;
  e.parent = {{"tvdb", "81189"}};
  e.relative = ws::RelativeGuid{"tvdb", "81189", 1, 2};
  e.progress_ms = 5'000'000'000;  // beyond 32 bits
  e.played_at = -5;               // negative fixint
  e.added_at = -70000;            // int32
  return e;
}

std::string nlohmann_bytes(const std::vector<ws::MediaItem>& items) {
  nlohmann::json list = items;
  std::string out;
  nlohmann::json::to_msgpack(list, nlohmann::detail::output_adapter<char>(out));
  return out;
}

}  // namespace

TEST_CASE("items are written in exactly nlohmann's bytes of their JSON form", "[media_item_msgpack]") {
  for (const auto& items : std::vector<std::vector<ws::MediaItem>>{
           {}, {ws::MediaItem{}}, {movie()}, {episode()}, std::vector<ws::MediaItem>(20, movie())}) {
    std::string ours;
    ws::append_items_msgpack(ours, items);
    CHECK(ours == nlohmann_bytes(items));
  }
}

TEST_CASE("items read back as written, and as nlohmann writes them", "[media_item_msgpack]") {
  const std::vector<ws::MediaItem> items{movie(), episode(), ws::MediaItem{}};
  std::string bytes;
  ws::append_items_msgpack(bytes, items);
  ws::ItemsReadReport report;
  auto read = ws::read_items_msgpack(bytes, report);
  REQUIRE(read.ok());
  CHECK(report.skipped.empty());
  CHECK(*read == items);

  // What another peer may send: nulls for fields left out, unknown keys, the type in capitals.
  nlohmann::json j = movie();
  j["year"] = nullptr;
  j["type"] = "MOVIE";
  j["future_field"] = {{"nested", {1, 2, {{"x", "y"}}}}};
  std::string other;
  nlohmann::json::to_msgpack(nlohmann::json::array({j}), nlohmann::detail::output_adapter<char>(other));
  auto read_other = ws::read_items_msgpack(other, report);
  REQUIRE(read_other.ok());
  REQUIRE(read_other->size() == 1);
  ws::MediaItem expected = movie();
  expected.year = 0;
  CHECK(read_other->front() == expected);
}

TEST_CASE("an item that does not read is left out and named; the list goes on", "[media_item_msgpack]") {
  auto bytes_of = [](const nlohmann::json& list) {
    std::string out;
    nlohmann::json::to_msgpack(list, nlohmann::detail::output_adapter<char>(out));
    return out;
  };
  auto check_skipped = [&](nlohmann::json bad, const std::string& sentence) {
    ws::ItemsReadReport report;
    auto read = ws::read_items_msgpack(bytes_of(nlohmann::json::array({movie(), bad, movie()})), report);
    REQUIRE(read.ok());
    CHECK(read->size() == 2);
    REQUIRE(report.skipped.size() == 1);
    CHECK(report.skipped[0] == sentence);
  };
  nlohmann::json j = movie();
  SECTION("a string where a number belongs") {
    j["year"] = "1994";
    check_skipped(j, "item 1: 'year' is not an integer");
  }
  SECTION("a number out of its field's range") {
    j["season"] = int64_t{1} << 40;
    check_skipped(j, "item 1: 'season' is out of range");
  }
  SECTION("a float") {
    j["played_at"] = 1.5;
    check_skipped(j, "item 1: 'played_at' is not an integer");
  }
  SECTION("a number where a text belongs") {
    j["item_id"] = 12;
    check_skipped(j, "item 1: 'item_id' is not a string");
  }
  SECTION("guids that are not texts") {
    j["guids"] = {{"imdb", 5}};
    check_skipped(j, "item 1: 'guids' is not a map of strings");
  }
  SECTION("no type") {
    j.erase("type");
    check_skipped(j, "item 1: has no 'type'");
  }
  SECTION("an unknown type") {
    j["type"] = "show";
    check_skipped(j, "item 1: 'type' is not movie or episode");
  }
  SECTION("a relative id of the wrong shape") {
    j["relative"] = {{"season", "one"}};
    check_skipped(j, "item 1: 'relative' 'season' is not an integer");
  }
  SECTION("not a map") {
    check_skipped(nlohmann::json::array({1, 2}), "item 1: is not a map");
  }
}

TEST_CASE("a list that is not well-formed is refused whole, without recursing", "[media_item_msgpack]") {
  ws::ItemsReadReport report;
  std::string bytes;
  ws::append_items_msgpack(bytes, {movie(), episode()});
  SECTION("truncated") {
    auto read = ws::read_items_msgpack(std::string_view(bytes).substr(0, bytes.size() - 3), report);
    REQUIRE_FALSE(read.ok());
    CHECK_THAT(read.error().message, Catch::StartsWith("items: MessagePack ends early"));
  }
  SECTION("not a list") {
    auto read = ws::read_items_msgpack("\x80", report);
    REQUIRE_FALSE(read.ok());
    CHECK(read.error().message == "items: is not a list");
  }
  SECTION("bytes after the list") {
    auto read = ws::read_items_msgpack(bytes + "\xc0", report);
    REQUIRE_FALSE(read.ok());
    CHECK(read.error().message == "items: bytes after the list");
  }
  SECTION("nested deeper than the limit inside an unknown field") {
    std::string deep = "\x91\x81\xa1x";
    deep += std::string(100000, '\x91');
    deep += '\xc0';
    auto read = ws::read_items_msgpack(deep, report);
    REQUIRE_FALSE(read.ok());
    CHECK_THAT(read.error().message, Catch::Contains("nests deeper than 32 levels"));
  }
  SECTION("a count larger than the bytes") {
    auto read = ws::read_items_msgpack("\xdd\xff\xff\xff\xff\x80", report);
    REQUIRE_FALSE(read.ok());
    CHECK_THAT(read.error().message, Catch::Contains("claims more elements than bytes"));
  }
}

TEST_CASE("a batch's raw items travel in the same bytes as a DOM's, and are cut out on decode",
          "[media_item_msgpack][message]") {
  const std::vector<ws::MediaItem> items{movie(), episode()};
  nlohmann::json body{{"v", ws::kMessageSchemaVersion}, {"id", "x-1"}, {"job", "j1"}, {"attempt", 1},
                      {"seq", 0},  {"server", "my_plex"},           {"library", "1"}};
  std::string raw;
  ws::append_items_msgpack(raw, items);
  auto ours = ws::encode_message({"batch.items", body, raw});
  nlohmann::json with_items = body;
  with_items["items"] = items;
  auto theirs = ws::encode_message({"batch.items", with_items});
  CHECK(ours.body_frame == theirs.body_frame);

  auto decoded = ws::decode_message("batch.items", theirs.body_frame);
  REQUIRE(decoded.ok());
  CHECK(decoded->items_msgpack == raw);
  CHECK_FALSE(decoded->body.contains("items"));
  CHECK(decoded->body == body);

  SECTION("items that are not a list stay in the body, for the broker to refuse") {
    with_items["items"] = "nope";
    auto odd = ws::decode_message("batch.items", ws::encode_message({"batch.items", with_items}).body_frame);
    REQUIRE(odd.ok());
    CHECK(odd->items_msgpack.empty());
    CHECK(odd->body["items"] == "nope");
  }
  SECTION("other types keep their items in the body") {
    auto done = ws::decode_message("job.done", ws::encode_message({"job.done", with_items}).body_frame);
    REQUIRE(done.ok());
    CHECK(done->items_msgpack.empty());
    CHECK(done->body["items"].size() == 2);
  }
}
