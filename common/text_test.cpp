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
