#include "ws/iso_time.h"

#include <catch2/catch.hpp>

using namespace ws;

TEST_CASE("ISO-8601 dates as Jellyfin and Emby send them are read as unix seconds", "[iso_time]") {
  SECTION("seven fraction digits and Z") { CHECK(iso_time::parse("2025-08-15T21:19:42.3549157Z") == 1755292782); }
  SECTION("no fraction") { CHECK(iso_time::parse("2025-08-15T21:19:42Z") == 1755292782); }
  SECTION("an offset") {
    CHECK(iso_time::parse("2025-08-15T23:19:42.1+02:00") == 1755292782);
    CHECK(iso_time::parse("2025-08-15T20:19:42-0100") == 1755292782);
    CHECK(iso_time::parse("2025-08-15T16:19:42-0500") == 1755292782);
  }
  SECTION("no zone is UTC") { CHECK(iso_time::parse("2025-08-15T21:19:42") == 1755292782); }
  SECTION("a space separator") {
    CHECK(iso_time::parse("2025-08-15 21:19:42") == 1755292782);
    CHECK(iso_time::parse("2025-08-15 21:19:42.1Z") == 1755292782);
  }
  SECTION("a bare date") { CHECK(iso_time::parse("2000-01-01") == 946684800); }
  SECTION("a leap day") { CHECK(iso_time::parse("2024-02-29T00:00:00Z") == 1709164800); }
  SECTION("the first dates after never") {
    CHECK(iso_time::parse("1970-01-02T00:00:00Z") == 86400);
    CHECK(iso_time::parse("1971-01-01T00:00:00Z") == 31536000);
  }
}

TEST_CASE("dates that mean never or are not dates give nothing", "[iso_time]") {
  CHECK_FALSE(iso_time::parse("0001-01-01T00:00:00.0000000Z"));
  CHECK_FALSE(iso_time::parse("1970-01-01T00:00:00Z"));
  CHECK_FALSE(iso_time::parse(""));
  CHECK_FALSE(iso_time::parse("yesterday"));
  CHECK_FALSE(iso_time::parse("2025-13-01T00:00:00Z"));
  CHECK_FALSE(iso_time::parse("2023-02-29T00:00:00Z"));
  CHECK_FALSE(iso_time::parse("2025-08-15T25:00:00Z"));
  CHECK_FALSE(iso_time::parse("2025-08-15T21:19:42Zjunk"));
  CHECK_FALSE(iso_time::parse("2025-08-15T21:19:42."));
  CHECK_FALSE(iso_time::parse("2025-08-15T21:19:42.Z"));
  CHECK_FALSE(iso_time::parse("1755292782"));
}

TEST_CASE("dates are written in Jellyfin's and Emby's forms", "[iso_time]") {
  CHECK(iso_time::format(1755292782) == "2025-08-15T21:19:42.0000000Z");
  CHECK(iso_time::format_compact(1755292782) == "20250815211942");
  CHECK(iso_time::parse(iso_time::format(1709164800)) == 1709164800);
}

TEST_CASE("positions convert between ticks and milliseconds", "[iso_time]") {
  CHECK(iso_time::ticks_from_ms(734000) == 7340000000);
  CHECK(iso_time::ms_from_ticks(7340000000) == 734000);
  CHECK(iso_time::ms_from_ticks(12'345'678'900) == 1'234'567);
  CHECK(iso_time::ms_from_ticks(-5) == 0);
}
