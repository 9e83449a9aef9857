#include <catch2/catch.hpp>

#include <fstream>
#include <map>

#include "config_test_util.h"
#include "ws/config.h"
#include "ws/logging.h"

using namespace ws;
using ws::testing::slurp;
using ws::testing::TempDir;

namespace {

EnvLookup env_of(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

}  // namespace

TEST_CASE("config.yaml reads nested keys", "[config]") {
  auto file = parse_config(R"(webhook:
  apikey: abc
  listen: 127.0.0.1:9000
  max_body: 2M
import:
  every: 1h
export:
  every: 15m
  concurrency: 8
  guard: 25%
page_size: 1000
progress:
  min_delta: 10
  rewatch_threshold: 5m
log:
  level: DEBUG
  format: json
endpoints:
  control: ipc:///tmp/ws.sock
jobs:
  lease: 2m
  max_attempts: 5
)",
                           "c.yaml");
  REQUIRE(file.ok());
  CHECK(file->warnings.empty());
  const AppConfig& c = file->config;
  CHECK(c.webhook.apikey == "abc");
  CHECK(c.webhook.listen == "127.0.0.1:9000");
  CHECK(c.webhook.max_body == 2u << 20);
  CHECK(c.import_every == std::chrono::hours(1));
  CHECK(c.export_every == std::chrono::minutes(15));
  CHECK(c.export_concurrency == 8);
  CHECK(c.export_guard_share == Approx(0.25));
  CHECK(c.page_size == 1000);
  CHECK(c.progress_min_delta_s == 10);
  CHECK(c.progress_rewatch_threshold_s == 300);
  CHECK(c.log_level == "debug");
  CHECK(c.log_format == "json");
  CHECK(c.endpoints.control == "ipc:///tmp/ws.sock");
  CHECK(c.endpoints.workers == EndpointsConfig{}.workers);
  CHECK(c.job_lease_s == 120);
  CHECK(c.job_max_attempts == 5);
}

TEST_CASE("durations accept seconds and units", "[config]") {
  CHECK(parse_duration("30") == std::chrono::seconds(30));
  CHECK(parse_duration("30s") == std::chrono::seconds(30));
  CHECK(parse_duration("15m") == std::chrono::minutes(15));
  CHECK(parse_duration("1h") == std::chrono::hours(1));
  CHECK(parse_duration("1h30m") == std::chrono::minutes(90));
  CHECK(parse_duration(" 2d ") == std::chrono::hours(48));
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("soon"));
  CHECK_FALSE(parse_duration("-5s"));
  CHECK_FALSE(parse_duration("5x"));
  CHECK_FALSE(parse_duration("99999999999999h"));
}

TEST_CASE("config.yaml errors name file, line, key and the allowed range", "[config]") {
  SECTION("out of range") {
    auto file = parse_config("export:\n  concurrency: 100\n", "c.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == "c.yaml:2: export.concurrency: 100 is out of range 1..64");
  }
  SECTION("not one of") {
    auto file = parse_config("log:\n  level: loud\n", "c.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == "c.yaml:2: log.level: 'loud' is not one of trace, debug, info, warn, error");
  }
  SECTION("a bad duration") {
    auto file = parse_config("import:\n  every: soon\n", "c.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == "c.yaml:2: import.every: 'soon' is not a duration like 30, 30s, 15m or 1h");
  }
  SECTION("a duration out of range") {
    auto file = parse_config("import:\n  every: 10s\n", "c.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == "c.yaml:2: import.every: 10s is out of range 0 (off) or 1m..7d");
  }
  SECTION("a value where a section belongs") {
    auto file = parse_config("webhook: yes\n", "c.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == "c.yaml:1: webhook: expected a map of settings");
  }
  SECTION("a section where a value belongs") {
    auto file = parse_config("page_size:\n  a: 1\n", "c.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == "c.yaml:1: page_size: expected a single value, found a map");
  }
  SECTION("a syntax error") {
    auto file = parse_config("log:\n  level: info\n bad: [\n", "c.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK_THAT(file.error().message, Catch::Matches("c\\.yaml:[0-9]+: YAML syntax error.*"));
  }
}

TEST_CASE("unknown config.yaml keys warn and the seed's mapper type is ignored with a note", "[config]") {
  auto file = parse_config("colour: blue\nlog:\n  shade: dark\nmapper:\n  import:\n    type: memory\n", "c.yaml");
  REQUIRE(file.ok());
  REQUIRE(file->warnings.size() == 3);
  CHECK(file->warnings[0].message == "c.yaml:1: colour: unknown key, ignored");
  CHECK(file->warnings[1].message == "c.yaml:3: log.shade: unknown key, ignored");
  CHECK_THAT(file->warnings[2].message, Catch::StartsWith("c.yaml:6: mapper.import.type: accepted and ignored"));
}

TEST_CASE("every config key has a WS_* override", "[config][env]") {
  SECTION("names are the key in uppercase with underscores") {
    for (const auto& doc : config_key_docs()) {
      std::string expected = "WS_";
      for (char ch : doc.key) expected += ch == '.' ? '_' : static_cast<char>(std::toupper(ch));
      CHECK(doc.env == expected);
    }
  }
  SECTION("overrides win over the file") {
    auto file = parse_config("log:\n  level: info\n", "c.yaml");
    REQUIRE(file.ok());
    auto ok = apply_env_overrides(*file, env_of({{"WS_LOG_LEVEL", "trace"},
                                                 {"WS_WEBHOOK_APIKEY", "k"},
                                                 {"WS_EXPORT_EVERY", "2h"},
                                                 {"WS_JOBS_MAX_ATTEMPTS", "7"}}));
    REQUIRE(ok.ok());
    CHECK(file->config.log_level == "trace");
    CHECK(file->config.webhook.apikey == "k");
    CHECK(file->config.export_every == std::chrono::hours(2));
    CHECK(file->config.job_max_attempts == 7);
  }
  SECTION("a bad override names the variable") {
    ConfigFile file;
    auto ok = apply_env_overrides(file, env_of({{"WS_PAGE_SIZE", "3"}}));
    REQUIRE_FALSE(ok.ok());
    CHECK(ok.error().message == "environment WS_PAGE_SIZE (page_size): 3 is out of range 10..10000");
  }
  SECTION("every documented key can be set from the environment") {
    for (const auto& doc : config_key_docs()) {
      ConfigFile file;
      auto ok = apply_env_overrides(file, env_of({{doc.env, "not a valid value for anything"}}));
      // The apikey takes any text; every other key refuses this value, so each one is wired.
      CHECK(ok.ok() == (doc.key == "webhook.apikey"));
    }
  }
}

TEST_CASE("load_config reads the file and the environment", "[config][env]") {
  TempDir dir;
  const auto path = dir.path / "config.yaml";
  REQUIRE(write_private_file(path, "log:\n  format: json\n", false).ok());
  ::setenv("WS_LOG_LEVEL", "error", 1);
  auto file = load_config(path);
  ::unsetenv("WS_LOG_LEVEL");
  REQUIRE(file.ok());
  CHECK(file->config.log_format == "json");
  CHECK(file->config.log_level == "error");

  auto missing = load_config(dir.path / "none.yaml");
  REQUIRE(missing.ok());
  CHECK(missing->config.log_level == "info");
}

TEST_CASE("the example config.yaml loads to the defaults", "[config][example]") {
  auto file = parse_config(example_config_yaml(), "example");
  REQUIRE(file.ok());
  for (const auto& w : file->warnings) FAIL_CHECK(w.message);
  const AppConfig d;
  const AppConfig& c = file->config;
  CHECK(c.webhook.apikey == d.webhook.apikey);
  CHECK(c.webhook.listen == d.webhook.listen);
  CHECK(c.webhook.max_body == d.webhook.max_body);
  CHECK(c.import_every == d.import_every);
  CHECK(c.export_every == d.export_every);
  CHECK(c.page_size == d.page_size);
  CHECK(c.export_concurrency == d.export_concurrency);
  CHECK(c.progress_min_delta_s == d.progress_min_delta_s);
  CHECK(c.progress_rewatch_threshold_s == d.progress_rewatch_threshold_s);
  CHECK(c.multi_episode_max == d.multi_episode_max);
  CHECK(c.export_guard_share == Approx(d.export_guard_share));
  CHECK(c.log_level == d.log_level);
  CHECK(c.log_format == d.log_format);
  CHECK(c.endpoints.workers == d.endpoints.workers);
  CHECK(c.endpoints.events == d.endpoints.events);
  CHECK(c.endpoints.control == d.endpoints.control);
  CHECK(c.job_lease_s == d.job_lease_s);
  CHECK(c.job_max_attempts == d.job_max_attempts);
  CHECK(c.store.map_size == d.store.map_size);
  CHECK(c.endpoints.max_message == d.endpoints.max_message);
  CHECK(c.job_queue_timeout_s == d.job_queue_timeout_s);
  CHECK(c.webhook.spool_max == d.webhook.spool_max);
  CHECK(c.webhook.max_attempts == d.webhook.max_attempts);
  SECTION("and mentions every key") {
    for (const auto& doc : config_key_docs()) {
      const std::string leaf = doc.key.substr(doc.key.rfind('.') + 1);
      CHECK_THAT(example_config_yaml(), Catch::Contains(leaf + ":"));
    }
  }
}

TEST_CASE("docs/configuration.md lists every key with its variable", "[config][docs]") {
  const std::string text = slurp(std::filesystem::path(WS_SOURCE_DIR) / "docs" / "configuration.md");
  REQUIRE_FALSE(text.empty());
  for (const auto& doc : config_key_docs()) {
    CHECK_THAT(text, Catch::Contains("`" + doc.key + "`"));
    CHECK_THAT(text, Catch::Contains("`" + doc.env + "`"));
    CHECK_THAT(text, Catch::Contains(doc.range));
  }
}

TEST_CASE("config errors never contain the apikey", "[config][secrets]") {
  auto file = parse_config("webhook:\n  apikey: [super-secret-key]\n", "c.yaml");
  REQUIRE_FALSE(file.ok());
  CHECK_THAT(file.error().message, !Catch::Contains("super-secret-key"));
  CHECK(secrets_of(AppConfig{}).empty());
  AppConfig c;
  c.webhook.apikey = "k1";
  CHECK(secrets_of(c) == std::vector<std::string>{"k1"});
}

TEST_CASE("store.map_size takes a size with K, M, G or T and refuses one out of range", "[config]") {
  CHECK(AppConfig{}.store.map_size == size_t(8) << 30);
  auto file = parse_config("store:\n  map_size: 3M\n", "c.yaml");
  REQUIRE(file.ok());
  CHECK(file->config.store.map_size == size_t(3) << 20);
  auto bytes = parse_config("store:\n  map_size: 2097152\n", "c.yaml");
  REQUIRE(bytes.ok());
  CHECK(bytes->config.store.map_size == size_t(2) << 20);
  auto env = ConfigFile{};
  REQUIRE(apply_env_overrides(env, env_of({{"WS_STORE_MAP_SIZE", "16GiB"}})).ok());
  CHECK(env.config.store.map_size == size_t(16) << 30);
  auto small = parse_config("store:\n  map_size: 64K\n", "c.yaml");
  REQUIRE_FALSE(small.ok());
  CHECK(small.error().message == "c.yaml:2: store.map_size: 65536 bytes is out of range 1M..16T");
  auto words = parse_config("store:\n  map_size: lots\n", "c.yaml");
  REQUIRE_FALSE(words.ok());
  CHECK_THAT(words.error().message, Catch::Contains("store.map_size") && Catch::Contains("not a size"));
  CHECK_FALSE(parse_config("store:\n  map_size: 99999999999T\n", "c.yaml").ok());
}

TEST_CASE("a config.yaml readable by others loads with a warning naming the file and chmod 600", "[config][secrets]") {
  TempDir dir;
  const auto path = dir.path / "config.yaml";
  REQUIRE(write_private_file(path, "log:\n  level: warn\n", false).ok());
  auto private_file = load_config(path);
  REQUIRE(private_file.ok());
  CHECK(private_file->warnings.empty());

  std::filesystem::permissions(path, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  auto exposed = load_config(path);
  REQUIRE(exposed.ok());
  REQUIRE(exposed->warnings.size() == 1);
  CHECK_THAT(exposed->warnings[0].message, Catch::Contains(path.string() + " is readable by group or others (mode 0604)") &&
                                               Catch::Contains("chmod 600 " + path.string()));
  CHECK(exposed->config.log_level == "warn");
}

TEST_CASE("loading config.yaml registers the webhook key for redaction, from the file or WS_WEBHOOK_APIKEY",
          "[config][secrets]") {
  TempDir dir;
  const auto path = dir.path / "config.yaml";
  REQUIRE(write_private_file(path, "webhook:\n  apikey: key-from-config-file\n", false).ok());
  ::setenv("WS_WEBHOOK_APIKEY", "key-from-environment", 1);
  CHECK(redact("key-from-environment") == "key-from-environment");
  auto with_env = load_config(path);
  ::unsetenv("WS_WEBHOOK_APIKEY");
  REQUIRE(with_env.ok());
  CHECK(redact("key-from-environment") == "***");
  REQUIRE(load_config(path).ok());
  CHECK(redact("key=key-from-config-file") == "key=***");
}
