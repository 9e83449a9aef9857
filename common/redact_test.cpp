#include <catch2/catch.hpp>

#include "ws/redact.h"

using namespace ws;

TEST_CASE("token query parameters are redacted in any case", "[redact]") {
  CHECK(redact_url("http://p:32400/library?X-Plex-Token=abc123&type=1") ==
        "http://p:32400/library?X-Plex-Token=***&type=1");
  CHECK(redact_url("http://j/Items?ApiKey=k&api_key=k2&APIKEY=k3&token=t") ==
        "http://j/Items?ApiKey=***&api_key=***&APIKEY=***&token=***");
  CHECK(redact_url("/?type=plex&apikey=secret#frag") == "/?type=plex&apikey=***#frag");
  CHECK(redact_url("token=abc") == "token=***");
  SECTION("other parameters and lookalikes are left alone") {
    CHECK(redact_url("http://x/?tokens=1&mytoken=2&type=1") == "http://x/?tokens=1&mytoken=2&type=1");
    CHECK(redact_url("http://x/path") == "http://x/path");
    CHECK(redact_url("") == "");
  }
  SECTION("URLs inside a log line") {
    CHECK(redact_url("GET http://x/?X-Plex-Token=abc failed: 401") == "GET http://x/?X-Plex-Token=*** failed: 401");
  }
}

TEST_CASE("every known secret is replaced in free text", "[redact]") {
  CHECK(redact_secrets("token abc and abcdef here", {"abc", "abcdef", ""}) == "token *** and *** here");
  CHECK(redact_secrets("nothing", {}) == "nothing");
  CHECK(redact_secrets("aaaa", {"aa"}) == "******");
}
