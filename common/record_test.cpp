#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>

#include "ws/media_item.h"
#include "ws/record.h"

namespace {
ws::Record sample_record() {
  ws::Record r;
  r.id = 42;
  r.type = ws::MediaType::episode;
  r.watched = true;
  r.updated = 1700000000;
  r.via = "my_plex";
  r.title = "Série Ünïcode";
  r.year = 2011;
  r.season = 1;
  r.episode = 2;
  r.guids = {{"tvdb", "3254641"}};
  r.parent = {{"tvdb", "121361"}, {"imdb", "tt0944947"}};
  r.progress = {60000, "my_jellyfin", 1700000100};
  r.metadata["my_plex"] = ws::ServerMeta{"1234", "1200", "2", true, 1700000000, 1600000000, 0};
  r.metadata["my_jelly"].item_id = "0123456789abcdef0123456789abcdef";
  r.metadata["my_jelly"].series_id = "0123456789ABCDEF0123456789ABCDEF";  // not lowercase: kept as text
  r.metadata["my_jelly"].library_id = "007";                               // not canonical: kept as text
  r.guids["custom"] = "x-1";
  r.metadata["my_emby"].item_id = "88";
  r.metadata["my_emby"].ignored_writes = 2;
  r.metadata["my_emby"].ignored_watched = false;
  r.created_at = 1690000000;
  r.updated_at = 1700000200;
  return r;
}
}  // namespace

TEST_CASE("a record survives the binary encoding unchanged but for its id, which is the key", "[record]") {
  auto r = sample_record();
  auto bytes = ws::encode_record(r);
  CHECK(bytes[0] == 2);
  r.id = 0;
  CHECK(ws::decode_record(bytes) == r);
  ws::Record empty;
  CHECK(ws::decode_record(ws::encode_record(empty)) == empty);
}

TEST_CASE("undecodable record bytes raise a clear error", "[record]") {
  CHECK_THROWS_WITH(ws::decode_record(""), Catch::Contains("empty"));
  CHECK_THROWS_WITH(ws::decode_record(std::string("\x07xyz", 4)), Catch::Contains("unknown layout 7"));
  CHECK_THROWS_WITH(ws::decode_record(std::string("\x01\xc1", 2)), Catch::Contains("undecodable"));
  CHECK_THROWS_WITH(ws::decode_record(std::string("\x02\xc1", 2)), Catch::Contains("undecodable"));
  CHECK_THROWS_WITH(ws::decode_record(std::string("\x02\x91\x02", 3)), Catch::Contains("undecodable"));  // type 2
}

TEST_CASE("a media item round-trips through JSON and rejects unknown types", "[record]") {
  ws::MediaItem item;
  item.server = "my_emby";
  item.item_id = "77";
  item.type = ws::MediaType::episode;
  item.season = 3;
  item.episode = 1;
  item.episode_end = 2;
  item.relative = ws::RelativeGuid{"tvdb", "81189", 3, 1};
  item.watched = true;
  item.played_at = 5;
  nlohmann::json j = item;
  CHECK(j.get<ws::MediaItem>() == item);
  j["type"] = "song";
  CHECK_THROWS_WITH(j.get<ws::MediaItem>(), Catch::Contains("'song'"));
}

TEST_CASE("writes are given up only after max_ignored ignored ones while the server still shows the same flag",
          "[record]") {
  ws::ServerMeta m;
  m.watched = false;
  m.ignored_watched = false;
  m.ignored_writes = 2;
  CHECK_FALSE(m.writes_given_up(3));
  m.ignored_writes = 3;
  CHECK(m.writes_given_up(3));
  CHECK_FALSE(m.writes_given_up(0));  // 0: never give up
  m.watched = true;                   // the server's own state changed since
  CHECK_FALSE(m.writes_given_up(3));
}

namespace {
// What schema version 1 stored (layout 1): the record's JSON form as MessagePack, each server
// with the path and titles it then kept.
std::string layout1_encoding(const ws::Record& r) {
  nlohmann::json j = r;
  if (j.contains("metadata"))
    for (auto& [server, meta] : j["metadata"].items()) {
      meta["path"] = "/media/" + server + ".mkv";
      meta["title"] = "Title on " + server;
      meta["episode_title"] = "Episode on " + server;
    }
  std::string out(1, '\x01');
  nlohmann::json::to_msgpack(j, nlohmann::detail::output_adapter<char>(out));
  return out;
}

// Records with every field at, near and far from its default, every integer width of both signs
// and strings across the fixstr/str8/str16 bounds (a small deterministic generator, no seed to
// chase).
ws::Record varied_record(uint64_t n) {
  uint64_t x = n * 0x9e3779b97f4a7c15ull + 1;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const int64_t ints[] = {0, 1, -1, 31, -32, -33, 127, 128, 255, 256, -128, -129, 65535, 65536, -32768, -32769,
                          4294967295LL, 4294967296LL, INT32_MIN, INT32_MIN - 1LL, INT64_MAX, INT64_MIN, 1700000000};
  auto integer = [&] { return ints[next() % std::size(ints)]; };
  auto text = [&] {
    const size_t lengths[] = {0, 1, 31, 32, 255, 256, 65535, 65536};
    return std::string(lengths[next() % std::size(lengths)], static_cast<char>('a' + next() % 26));
  };
  ws::Record r;
  r.id = static_cast<uint64_t>(integer());
  r.type = next() % 2 ? ws::MediaType::movie : ws::MediaType::episode;
  r.watched = next() % 2;
  r.updated = integer();
  r.unmarked_at = integer();
  r.via = text();
  r.title = text();
  r.year = static_cast<int>(integer());
  r.season = next() % 3 ? -1 : static_cast<int>(integer());
  r.episode = next() % 3 ? -1 : static_cast<int>(integer());
  for (uint64_t i = next() % 20; i > 0; --i) r.guids[text() + std::to_string(i)] = text();
  if (next() % 2) r.guids["imdb"] = "tt" + std::to_string(next() % 10'000'000);
  if (next() % 2) r.guids["tvdb"] = std::to_string(next() % 10'000'000);
  for (uint64_t i = next() % 3; i > 0; --i) r.parent["p" + std::to_string(i)] = text();
  if (next() % 2) r.progress = {integer(), text(), integer()};
  for (uint64_t i = next() % 18; i > 0; --i) {
    ws::ServerMeta m;
    auto id = [&] {  // the texts layout 2 packs (numbers, Jellyfin ids) and some it cannot
      switch (next() % 4) {
        case 0: return std::to_string(next() % 1'000'000'000'000'000'000ull);
        case 1: return std::string("0123456789abcdef0123456789abcde") + static_cast<char>('0' + next() % 10);
        default: return text();
      }
    };
    if (next() % 2) m = {id(), id(), id(), next() % 2 == 0, integer(), integer(), integer(),
                         next() % 2 ? -1 : static_cast<int>(integer()), static_cast<int>(integer()), next() % 2 == 0};
    r.metadata["server" + std::to_string(i)] = m;
  }
  r.created_at = integer();
  r.updated_at = integer();
  return r;
}
}  // namespace

TEST_CASE("every field at, near and far from its default survives layout 2", "[record]") {
  for (uint64_t n = 0; n < 400; ++n) {
    ws::Record r = varied_record(n);
    r.id = 0;
    REQUIRE(ws::decode_record(ws::encode_record(r)) == r);
  }
}

TEST_CASE("layout 2 is smaller than the JSON form's MessagePack it replaces", "[record]") {
  const ws::Record r = sample_record();
  CHECK(ws::encode_record(r).size() * 2 < layout1_encoding(r).size());
}

TEST_CASE("layout 1 records of schema version 1 decode, their servers' paths and titles dropped", "[record]") {
  ws::Record expected = sample_record();
  CHECK(ws::decode_record(layout1_encoding(expected)) == expected);
  for (uint64_t n = 0; n < 150; ++n) {
    const ws::Record r = varied_record(n);
    const std::string bytes = layout1_encoding(r);
    // Read as the JSON form reads it (which loses what the form leaves out, e.g. a progress time
    // without a position): the fast reader and the DOM agree.
    REQUIRE(ws::decode_record(bytes) == nlohmann::json::from_msgpack(bytes.substr(1)).get<ws::Record>());
  }
}

TEST_CASE("record bytes of another shape decode as the JSON form says", "[record]") {
  auto encode_json = [](const nlohmann::json& j) {
    std::string out(1, '\x01');
    nlohmann::json::to_msgpack(j, nlohmann::detail::output_adapter<char>(out));
    return out;
  };
  nlohmann::json j = sample_record();
  j["extra"] = {1, 2.5, "x"};   // an unknown field is ignored
  j["year"] = 2011.0;           // a float where an integer is expected converts
  j["via"] = nullptr;           // null is a field left out
  j["type"] = "Episode";        // any case
  ws::Record expected = sample_record();
  expected.via.clear();
  CHECK(ws::decode_record(encode_json(j)) == expected);

  j = sample_record();
  j["watched"] = 1;             // not a boolean: an error, as before
  CHECK_THROWS_WITH(ws::decode_record(encode_json(j)), Catch::Contains("undecodable"));
  j = sample_record();
  j.erase("type");
  CHECK_THROWS_WITH(ws::decode_record(encode_json(j)), Catch::Contains("not movie or episode"));
  std::string truncated = layout1_encoding(sample_record());
  truncated.pop_back();
  CHECK_THROWS_WITH(ws::decode_record(truncated), Catch::Contains("undecodable"));
  truncated = ws::encode_record(sample_record());
  truncated.pop_back();
  CHECK_THROWS_WITH(ws::decode_record(truncated), Catch::Contains("undecodable"));
  CHECK_THROWS_WITH(ws::decode_record(ws::encode_record(sample_record()) + "\xc0"), Catch::Contains("undecodable"));
}

namespace {
// What decode_record_for then complete_record make of `bytes` for `server`, or nullopt when it
// throws; with `partial` the record before complete_record.
std::optional<ws::Record> decode_for_then_complete(const std::string& bytes, const std::string& server,
                                                   ws::Record* partial = nullptr) {
  try {
    size_t at = 0;
    ws::Record r = ws::decode_record_for(bytes, server, at);
    if (partial) *partial = r;
    ws::complete_record(bytes, at, r);
    return r;
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
}

std::optional<ws::Record> decode_or_nullopt(const std::string& bytes) {
  try {
    return ws::decode_record(bytes);
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
}
}  // namespace

TEST_CASE("a record decoded for one server holds that server's metadata only, and completed equals the whole",
          "[record]") {
  auto r = sample_record();
  r.id = 0;
  const auto bytes = ws::encode_record(r);
  for (const std::string server : {"my_plex", "my_jelly", "my_emby", "not_there"}) {
    ws::Record partial;
    auto whole = decode_for_then_complete(bytes, server, &partial);
    REQUIRE(whole);
    CHECK(*whole == r);
    ws::Record expected = r;
    expected.metadata.clear();
    if (r.metadata.count(server)) expected.metadata[server] = r.metadata.at(server);
    CHECK(partial == expected);
  }
  // A movie without metadata ends before the map; a layout 1 record decodes whole.
  ws::Record empty;
  CHECK(decode_for_then_complete(ws::encode_record(empty), "my_plex") == empty);
}

TEST_CASE("a record decoded for one server fails exactly where the whole decode fails", "[record]") {
  // Every truncation and many one-byte changes of a record with three servers: the server's
  // entry skipped or kept, the others checked all the same.
  auto r = sample_record();
  r.id = 0;
  const auto bytes = ws::encode_record(r);
  size_t cases = 0, refused = 0;
  const auto check = [&](const std::string& b) {
    const auto whole = decode_or_nullopt(b);
    for (const std::string server : {"my_plex", "my_jelly", "my_emby"}) {
      const auto completed = decode_for_then_complete(b, server);
      CHECK(completed.has_value() == whole.has_value());
      if (completed && whole) CHECK(*completed == *whole);
    }
    ++cases;
    refused += whole ? 0 : 1;
  };
  for (size_t n = 0; n < bytes.size(); ++n) check(bytes.substr(0, n));
  for (size_t i = 1; i < bytes.size(); ++i) {
    for (const uint8_t value : {0x00, 0x01, 0x10, 0x7f, 0x80, 0x93, 0xa1, 0xc0, 0xc4, 0xcc, 0xd0, 0xff}) {
      std::string b = bytes;
      b[i] = static_cast<char>(value);
      check(b);
    }
  }
  CHECK(refused > 0);
  CHECK(refused < cases);  // some changes still decode (another value of the same type)
}
