#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "ws/logging.h"

using namespace ws;

TEST_CASE("verbosity flags raise the log level and never lower it", "[logging]") {
  CHECK(log_level_for(0, "warn") == "warn");
  CHECK(log_level_for(1, "warn") == "info");
  CHECK(log_level_for(2, "warn") == "debug");
  CHECK(log_level_for(3, "warn") == "trace");
  CHECK(log_level_for(5, "warn") == "trace");
  CHECK(log_level_for(1, "trace") == "trace");
}

TEST_CASE("setup_logging refuses unknown levels and formats", "[logging]") {
  CHECK(setup_logging(0, "info", "text").ok());
  CHECK(setup_logging(0, "info", "json").ok());
  auto bad_level = setup_logging(0, "loud", "text");
  REQUIRE_FALSE(bad_level.ok());
  CHECK_THAT(bad_level.error().message, Catch::Contains("loud"));
  CHECK_FALSE(setup_logging(0, "info", "xml").ok());
}

TEST_CASE("log lines never carry a secret", "[logging][secrets]") {
  add_log_secrets({"hunter2-token"});
  SECTION("text") {
    const std::string line = format_log_line_for_test("text", "warn", "server said no to hunter2-token at /?apikey=zz");
    CHECK_THAT(line, !Catch::Contains("hunter2-token"));
    CHECK_THAT(line, !Catch::Contains("zz"));
    CHECK_THAT(line, Catch::Contains("[warning]"));
  }
  SECTION("json is one object per line") {
    const std::string line = format_log_line_for_test("json", "info", "quote \" and hunter2-token");
    auto j = nlohmann::json::parse(line);
    CHECK(j["level"] == "info");
    CHECK(j["msg"] == "quote \" and ***");
    CHECK(j.contains("ts"));
  }
}
