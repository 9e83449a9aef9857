#include "ws/export_action.h"

#include <catch2/catch.hpp>

using nlohmann::json;

namespace {

std::string error_of(const json& entry) {
  auto action = ws::parse_export_action(entry);
  REQUIRE_FALSE(action);
  CHECK(action.error().kind == ws::ErrorKind::invalid_input);
  return action.error().message;
}

const json kPlay = {{"key", "k1"}, {"action", "play"}, {"played_at", 1700000000},
                    {"item", {{"item_id", "42"}, {"type", "movie"}}}};

}  // namespace

TEST_CASE("an export action is read with its key, kind, item and values", "[export_action]") {
  auto play = ws::parse_export_action(kPlay);
  REQUIRE(play);
  CHECK(play->key == "k1");
  CHECK(play->kind == ws::ExportAction::Kind::play);
  CHECK(play->item.item_id == "42");
  CHECK(play->played_at == 1700000000);
  json progress = kPlay;
  progress["action"] = "progress";
  progress["progress_ms"] = 734000;
  auto read = ws::parse_export_action(progress);
  REQUIRE(read);
  CHECK(read->kind == ws::ExportAction::Kind::progress);
  CHECK(read->progress_ms == 734000);
}

TEST_CASE("a wrong export action is refused by its key and the field at fault", "[export_action]") {
  CHECK(error_of(json::array()) == "job.export action must be a map, not a list");
  CHECK(error_of({{"action", "play"}}) == "job.export action: 'key' is missing");
  json wrong = kPlay;
  wrong["action"] = "delete";
  CHECK(error_of(wrong) == "job.export action 'k1': 'action' is 'delete', not play, unplay or progress");
  wrong["action"] = 3;  // a wrong type is refused, never thrown
  CHECK(error_of(wrong) == "job.export action 'k1': 'action' must be a string, not an integer");
  wrong = kPlay;
  wrong.erase("item");
  CHECK(error_of(wrong) == "job.export action 'k1': 'item' is missing");
  wrong = kPlay;
  wrong["item"] = {{"type", "movie"}};
  CHECK(error_of(wrong) == "job.export action 'k1': 'item' has no 'item_id'");
  wrong = kPlay;
  wrong["item"]["type"] = "song";
  CHECK(error_of(wrong).find("job.export action 'k1': 'item' is malformed") == 0);
  wrong = kPlay;
  wrong["progress_ms"] = -5;
  CHECK(error_of(wrong) == "job.export action 'k1': 'progress_ms' is negative");
  wrong = kPlay;
  wrong["played_at"] = "yesterday";
  CHECK(error_of(wrong) == "job.export action 'k1': 'played_at' must be an integer, not a string");
}
