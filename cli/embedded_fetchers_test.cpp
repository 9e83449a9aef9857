// Embedded mode's default number of fetcher threads (default_embedded_fetchers).
#include <catch2/catch.hpp>

#include "ws/embedded_stack.h"

using namespace ws;

TEST_CASE("embedded mode pulls the servers side by side, at most max(2, cores) at once", "[cli][embedded]") {
  SECTION("one per server on a machine with cores to spare") {
    CHECK(default_embedded_fetchers(1, 8) == 1);
    CHECK(default_embedded_fetchers(3, 8) == 3);
    CHECK(default_embedded_fetchers(4, 8) == 4);
  }
  SECTION("on a 2-core home server, two") {
    CHECK(default_embedded_fetchers(4, 2) == 2);
    CHECK(default_embedded_fetchers(2, 2) == 2);
    CHECK(default_embedded_fetchers(4, 1) == 2);
  }
  SECTION("never none, whatever is unknown") {
    CHECK(default_embedded_fetchers(0, 0) == 1);
    CHECK(default_embedded_fetchers(12, 0) == 2);
  }
}
