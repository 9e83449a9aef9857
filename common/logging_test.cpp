#include <catch2/catch.hpp>

#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

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

TEST_CASE("redact() hides what a log line would hide", "[logging][secrets]") {
  add_log_secrets({"s3cret-for-redact"});
  CHECK(redact("GET /x?X-Plex-Token=abc failed for s3cret-for-redact") == "GET /x?X-Plex-Token=*** failed for ***");
  CHECK(redact("nothing to hide") == "nothing to hide");
}

TEST_CASE("the logger can write to a stream, and remembers the errors it printed", "[logging]") {
  std::ostringstream out;
  forget_shown_messages();
  REQUIRE(setup_logging(0, "warn", "text", &out).ok());
  spdlog::info("below the level");
  spdlog::error("server x: GET / failed");
  spdlog::warn("only a warning");
  REQUIRE(setup_logging(0, "warn", "text").ok());  // back to stderr before `out` goes

  CHECK_THAT(out.str(), Catch::Contains("[error] server x: GET / failed") && Catch::Contains("[warning] only a warning"));
  CHECK_THAT(out.str(), !Catch::Contains("below the level"));
  CHECK(logged_as_error("server x: GET / failed"));
  CHECK_FALSE(logged_as_error("only a warning"));
  CHECK_FALSE(logged_as_error("server x"));
  forget_shown_messages();
  CHECK_FALSE(logged_as_error("server x: GET / failed"));
}

TEST_CASE("warn_once prints a warning once, shared with first_warning", "[logging]") {
  std::ostringstream out;
  forget_shown_messages();
  REQUIRE(setup_logging(0, "warn", "text", &out).ok());
  warn_once("servers.yaml: x: unknown key, ignored");
  warn_once("servers.yaml: x: unknown key, ignored");
  CHECK_FALSE(first_warning("servers.yaml: x: unknown key, ignored"));
  CHECK(first_warning("shown by the CLI first"));
  warn_once("shown by the CLI first");
  REQUIRE(setup_logging(0, "warn", "text").ok());

  const std::string text = out.str();
  size_t count = 0;
  for (size_t at = text.find("unknown key"); at != std::string::npos; at = text.find("unknown key", at + 1)) ++count;
  CHECK(count == 1);
  CHECK_THAT(text, !Catch::Contains("shown by the CLI first"));
}

TEST_CASE("secrets too short to protect anything are not registered", "[logging][secrets]") {
  add_log_secrets({"t", "tok", "k1ab5"});
  CHECK(redact("the token k1ab5 stays readable") == "the token k1ab5 stays readable");
  add_log_secrets({"k1ab56"});
  CHECK(redact("the token k1ab56") == "the token ***");
}
