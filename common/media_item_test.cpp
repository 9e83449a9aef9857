#include "ws/media_item.h"

#include <catch2/catch.hpp>

TEST_CASE("an episode is named SxxEyy, and not at all when a number is unknown", "[media_item]") {
  CHECK(ws::episode_label(1, 2) == "S01E02");
  CHECK(ws::episode_label(0, 0) == "S00E00");  // specials are season 0
  CHECK(ws::episode_label(12, 105) == "S12E105");
  CHECK(ws::episode_label(-1, 3).empty());
  CHECK(ws::episode_label(2, -1).empty());
}
