#include "ws/text.h"

#include <catch2/catch.hpp>

TEST_CASE("ASCII case and white space are folded, nothing else", "[text]") {
  CHECK(ws::ascii_lower("Content-Type: TVDB") == "content-type: tvdb");
  CHECK(ws::ascii_lower("Ÿ Été") == "Ÿ Été");  // bytes beyond ASCII are left alone
  CHECK(ws::trim(" \t\r\n x y \v\f") == "x y");
  CHECK(ws::trim("   ").empty());
  CHECK(ws::trim("").empty());
  CHECK(ws::starts_with_nocase("Provider_Tvdb", "provider_"));
  CHECK_FALSE(ws::starts_with_nocase("Prov", "provider_"));
  CHECK(ws::equals_nocase("X-Plex-Token", "x-plex-token"));
  CHECK_FALSE(ws::equals_nocase("X-Plex-Token", "x-plex-tokens"));
}

TEST_CASE("a 32-hex-digit id and its 16 bytes convert both ways, appended after what is there", "[text]") {
  const std::string id = "0123456789abcdeffedcba9876543210";
  REQUIRE(ws::is_hex32_lower(id));
  std::string bytes = "k/";
  ws::append_hex32_bytes(bytes, id);
  REQUIRE(bytes.size() == 2 + 16);
  CHECK(bytes.substr(0, 2) == "k/");
  CHECK(static_cast<unsigned char>(bytes[2]) == 0x01);
  CHECK(static_cast<unsigned char>(bytes[17]) == 0x10);
  std::string back = "id:";
  ws::append_bytes_hex32(back, std::string_view(bytes).substr(2));
  CHECK(back == "id:" + id);
}
