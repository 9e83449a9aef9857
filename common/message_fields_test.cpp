#include "ws/message_fields.h"

#include <catch2/catch.hpp>

using nlohmann::json;
using ws::MessageFields;

TEST_CASE("fields of the right types are read", "[message_fields]") {
  const json body = {{"job", "j1"}, {"attempt", 2}, {"retryable", false}, {"servers", {"a", "b"}},
                     {"result", {{"x", 1}}}, {"items", {1, 2}}};
  MessageFields f("job.failed", body);
  CHECK(f.string("job") == "j1");
  CHECK(f.integer("attempt", 1, 10) == 2);
  CHECK(f.boolean_or("retryable", true) == false);
  CHECK(f.strings_or_empty("servers") == std::vector<std::string>{"a", "b"});
  CHECK(f.map("result").at("x") == 1);
  CHECK(f.list_or_empty("items").size() == 2);
  CHECK(f.string_or("absent", "fallback") == "fallback");
  CHECK(f.integer_or("absent", 7, 0, 10) == 7);
  CHECK(f.list_or_empty("absent").empty());
  CHECK(f.ok());
  CHECK(f.error().empty());
}

TEST_CASE("the first missing or mistyped field is named", "[message_fields]") {
  SECTION("missing") {
    const json body = json{{"attempt", 1}};
    MessageFields f("job.done", body);
    (void)f.string("job");
    (void)f.map("result");
    CHECK(f.error() == "job.done: 'job' is missing");
  }
  SECTION("a string where an integer belongs") {
    const json body = json{{"job", "j"}, {"attempt", "one"}};
    MessageFields f("job.done", body);
    (void)f.integer("attempt", 1, 10);
    CHECK(f.error() == "job.done: 'attempt' must be an integer, not a string");
  }
  SECTION("a boolean that is not one") {
    const json body = json{{"retryable", "yes"}};
    MessageFields f("job.failed", body);
    CHECK(f.boolean_or("retryable", true) == true);
    CHECK(f.error() == "job.failed: 'retryable' must be true or false, not a string");
  }
  SECTION("out of range, including an unsigned beyond int64") {
    const json body = json{{"attempt", uint64_t{1} << 63}};
    MessageFields f("job.done", body);
    (void)f.integer("attempt", 1, 100);
    CHECK(f.error() == "job.done: 'attempt' is out of range 1..100");
  }
  SECTION("a list with something other than names") {
    const json body = json{{"servers", {"a", 5}}};
    MessageFields f("worker.ready", body);
    CHECK(f.strings_or_empty("servers").empty());
    CHECK(f.error() == "worker.ready: 'servers' must be a list of non-empty strings");
  }
  SECTION("an empty required string") {
    const json body = json{{"worker", ""}};
    MessageFields f("worker.ready", body);
    (void)f.string("worker");
    CHECK(f.error() == "worker.ready: 'worker' is empty");
  }
  SECTION("a body that is not a map") {
    const json body = json::array({1});
    MessageFields f("job.done result", body);
    CHECK(f.string("x").empty());
    CHECK(f.error() == "job.done result must be a map, not a list");
  }
  SECTION("nil counts as absent") {
    const json body = json{{"servers", nullptr}, {"full", nullptr}};
    MessageFields f("ctl.request", body);
    CHECK(f.strings_or_empty("servers").empty());
    CHECK_FALSE(f.boolean_or("full", false));
    CHECK(f.ok());
  }
  SECTION("a check of the caller's own") {
    const json body = json{{"serves", "bake"}};
    MessageFields f("worker.ready", body);
    (void)f.string("serves");
    f.fail("worker.ready: 'serves' must be fetch or export");
    f.fail("a later problem is not the one reported");
    CHECK(f.error() == "worker.ready: 'serves' must be fetch or export");
    CHECK(f.as_error().kind == ws::ErrorKind::invalid_input);
  }
}
