#include <catch2/catch.hpp>

#include "ws/webhook_time.h"

using namespace ws;

TEST_CASE("ISO-8601 dates from Jellyfin and Emby become unix seconds", "[webhook_time]") {
  CHECK(parse_iso8601("2025-08-15T21:19:42.3549157Z") == 1755292782);
  CHECK(parse_iso8601("2025-08-15T21:19:42Z") == 1755292782);
  CHECK(parse_iso8601("2025-08-15T21:19:42") == 1755292782);
  CHECK(parse_iso8601("2025-08-15 21:19:42.1Z") == 1755292782);
  CHECK(parse_iso8601("2025-08-15T23:19:42.3549157+02:00") == 1755292782);
  CHECK(parse_iso8601("2025-08-15T16:19:42-0500") == 1755292782);
  CHECK(parse_iso8601("2024-02-29T00:00:00Z") == 1709164800);
  CHECK(parse_iso8601("1971-01-01T00:00:00Z") == 31536000);
}

TEST_CASE("what is not a usable date gives nothing", "[webhook_time]") {
  CHECK_FALSE(parse_iso8601("0001-01-01T00:00:00.0000000Z"));  // servers' "never"
  CHECK_FALSE(parse_iso8601(""));
  CHECK_FALSE(parse_iso8601("2025-08-15"));
  CHECK_FALSE(parse_iso8601("2025-13-01T00:00:00Z"));
  CHECK_FALSE(parse_iso8601("2023-02-29T00:00:00Z"));
  CHECK_FALSE(parse_iso8601("2025-08-15T21:19:42.Z"));
  CHECK_FALSE(parse_iso8601("2025-08-15T21:19:42Zjunk"));
  CHECK_FALSE(parse_iso8601("1755292782"));
}

TEST_CASE("unix seconds format back to ISO-8601 and ticks become milliseconds", "[webhook_time]") {
  CHECK(format_iso8601(1755292782) == "2025-08-15T21:19:42Z");
  CHECK(format_iso8601(0) == "1970-01-01T00:00:00Z");
  CHECK(parse_iso8601(format_iso8601(1709164800)) == 1709164800);
  CHECK(ticks_to_ms(12'345'678'900) == 1'234'567);
  CHECK(ticks_to_ms(-5) == 0);
}
