#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "config_test_util.h"
#include "ws/config.h"
#include "ws/logging.h"

namespace fs = std::filesystem;
using namespace ws;
using ws::testing::slurp;
using ws::testing::TempDir;

namespace {

// An early-preview WatchState servers.yaml, as the seed wrote it (shape from its
// config/servers.yaml and servers:edit), with the per-server webhook block and options.
const char* kSeedFile = R"(my_plex_server:
  type: plex
  url: 'http://172.23.0.11:32400'
  token: plex-secret-token
  uuid: 0123456789abcdef
  webhook:
    token: 6f1b2c3d4e5f
    import: true
    push: false
    match:
      user: true
      uuid: true
  export:
    enabled: true
    lastSync: null
  import:
    enabled: true
    lastSync: 1650000000
  options:
    ignore: '3,7'
    IMPORT_METADATA_ONLY: false
    client:
      timeout: 120
      verify_host: false
my_jellyfin_server:
  type: jellyfin
  url: 'http://172.23.0.12:8096/'
  token: jf-api-token
  options:
    user: user-id
    MAX_EPISODE_RANGE: 5
  export:
    enabled: false
    lastSync: null
  import:
    enabled: true
    lastSync: null
)";

}  // namespace

TEST_CASE("an early-preview WatchState servers.yaml loads unchanged", "[config][servers]") {
  auto file = parse_servers(kSeedFile, "servers.yaml");
  REQUIRE(file.ok());
  REQUIRE(file->servers.size() == 2);
  CHECK(file->warnings.empty());

  const ServerConfig& plex = file->servers[0];
  CHECK(plex.name == "my_plex_server");
  CHECK(plex.type == ServerType::plex);
  CHECK(plex.url == "http://172.23.0.11:32400");
  CHECK(plex.token == "plex-secret-token");
  CHECK(plex.uuid == "0123456789abcdef");
  CHECK(plex.import_last_sync == 1650000000);
  CHECK(plex.export_last_sync == 0);
  CHECK(plex.ignored_libraries == std::vector<std::string>{"3", "7"});
  CHECK(plex.timeout_s == 120);
  CHECK_FALSE(plex.verify_tls);
  CHECK(plex.webhook_token == "6f1b2c3d4e5f");
  CHECK(plex.webhook_import);
  CHECK_FALSE(plex.webhook_push);

  const ServerConfig& jf = file->servers[1];
  CHECK(jf.type == ServerType::jellyfin);
  CHECK(jf.url == "http://172.23.0.12:8096");  // trailing slash dropped
  CHECK(jf.user == "user-id");                 // from the seed's options.user
  CHECK_FALSE(jf.export_enabled);
  CHECK(jf.import_enabled);
  CHECK(file->find("my_jellyfin_server") == &jf);
  CHECK(file->find("nope") == nullptr);
}

TEST_CASE("a top-level user wins over options.user", "[config][servers]") {
  auto file = parse_servers("e:\n  type: emby\n  url: http://e:8096\n  token: t\n  options:\n    user: old\n  user: new\n",
                            "s.yaml");
  REQUIRE(file.ok());
  CHECK(file->servers[0].user == "new");
}

TEST_CASE("servers.yaml errors name the file, the line and the key", "[config][servers]") {
  SECTION("a wrong type") {
    auto file = parse_servers("my_plex:\n  url: http://x:1\n  token: t\n\n\n\n  type: plx\n", "var/config/servers.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == "var/config/servers.yaml:7: my_plex.type: 'plx' is not one of plex, jellyfin, emby");
  }
  SECTION("a YAML syntax error") {
    auto file = parse_servers("a:\n  type: plex\n  url: [unclosed\n", "s.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK_THAT(file.error().message, Catch::StartsWith("s.yaml:"));
    CHECK_THAT(file.error().message, Catch::Contains("YAML syntax error"));
  }
  SECTION("a missing url") {
    auto file = parse_servers("a:\n  type: plex\n", "s.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == "s.yaml:1: a: 'url' is missing (e.g. http://192.168.1.10:32400)");
  }
  SECTION("a bad boolean") {
    auto file = parse_servers("a:\n  type: plex\n  url: http://x\n  import:\n    enabled: maybe\n", "s.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == "s.yaml:5: a.import.enabled: 'maybe' is not a boolean (true or false)");
  }
  SECTION("a timeout out of range names the range") {
    auto file = parse_servers("a:\n  type: plex\n  url: http://x\n  options:\n    timeout: 0\n", "s.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == "s.yaml:5: a.options.timeout: 0 is out of range 1..3600");
  }
  SECTION("a map where a value belongs") {
    auto file = parse_servers("a:\n  type: plex\n  url: {x: 1}\n", "s.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == "s.yaml:3: a.url: expected a single value, found a map");
  }
  SECTION("not a map at the top") {
    auto file = parse_servers("- a\n- b\n", "s.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK_THAT(file.error().message, Catch::StartsWith("s.yaml:1: "));
  }
}

TEST_CASE("unknown servers.yaml keys are warnings naming file, line and key", "[config][servers]") {
  auto file = parse_servers("a:\n  type: plex\n  url: http://x\n  token: t\n  colour: blue\n  options:\n    shiny: 1\n",
                            "s.yaml");
  REQUIRE(file.ok());
  REQUIRE(file->warnings.size() == 2);
  CHECK(file->warnings[0].message == "s.yaml:5: a.colour: unknown key, ignored");
  CHECK(file->warnings[1].message == "s.yaml:7: a.options.shiny: unknown key, ignored");
}

TEST_CASE("a WatchState LIBRARY_SEGMENT above our largest page is read as the largest, with a warning",
          "[config][servers]") {
  auto file = parse_servers("a:\n  type: plex\n  url: http://x\n  token: t\n  options:\n    LIBRARY_SEGMENT: 50000\n",
                            "s.yaml");
  REQUIRE(file.ok());
  CHECK(file->servers[0].page_size == kPageSizeMax);
  REQUIRE(file->warnings.size() == 1);
  CHECK(file->warnings[0].message ==
        "s.yaml:6: a.options.LIBRARY_SEGMENT: 50000 is above the largest page here (10000): a is read 10000 items a page");
  SECTION("within the range it is the page size, silently") {
    auto ok = parse_servers("a:\n  type: plex\n  url: http://x\n  token: t\n  options:\n    LIBRARY_SEGMENT: 1000\n", "s.yaml");
    REQUIRE(ok.ok());
    CHECK(ok->servers[0].page_size == 1000);
    CHECK(ok->warnings.empty());
  }
  SECTION("below the smallest page it is still an error, and page_size keeps its range") {
    for (const char* option : {"LIBRARY_SEGMENT: 5", "page_size: 50000"}) {
      auto bad = parse_servers(std::string("a:\n  type: plex\n  url: http://x\n  options:\n    ") + option + "\n", "s.yaml");
      REQUIRE_FALSE(bad.ok());
      CHECK_THAT(bad.error().message, Catch::Contains("is out of range 10.."));
    }
  }
}

TEST_CASE("WatchState's DRY_RUN and DISABLE_MARK_UNPLAYED are read; IMPORT_METADATA_ONLY warns when on",
          "[config][servers]") {
  const std::string head = "home_plex:\n  type: plex\n  url: http://x\n  token: t\n  options:\n";
  SECTION("DRY_RUN: true keeps export.enabled but makes nothing writable") {
    auto file = parse_servers(head + "    DRY_RUN: true\n", "s.yaml");
    REQUIRE(file.ok());
    CHECK(file->warnings.empty());
    CHECK(file->servers[0].dry_run);
    CHECK(file->servers[0].export_enabled);
    CHECK_FALSE(file->servers[0].writable());
  }
  SECTION("DISABLE_MARK_UNPLAYED: yes keeps the server writable, without unmarks") {
    auto file = parse_servers(head + "    DISABLE_MARK_UNPLAYED: yes\n", "s.yaml");
    REQUIRE(file.ok());
    CHECK(file->warnings.empty());
    CHECK_FALSE(file->servers[0].mark_unplayed);
    CHECK(file->servers[0].writable());
  }
  SECTION("switched off, the three are silent and change nothing") {
    auto file = parse_servers(head + "    DRY_RUN: false\n    IMPORT_METADATA_ONLY: false\n    DISABLE_MARK_UNPLAYED: false\n",
                              "s.yaml");
    REQUIRE(file.ok());
    CHECK(file->warnings.empty());
    CHECK(file->servers[0].writable());
    CHECK(file->servers[0].mark_unplayed);
  }
  SECTION("IMPORT_METADATA_ONLY switched on warns, naming the server, the option and what to use") {
    auto file = parse_servers(head + "    IMPORT_METADATA_ONLY: true\n", "s.yaml");
    REQUIRE(file.ok());
    REQUIRE(file->warnings.size() == 1);
    CHECK_THAT(file->warnings[0].message,
               Catch::StartsWith("s.yaml:6: home_plex.options.IMPORT_METADATA_ONLY: true has no effect on home_plex here:") &&
                   Catch::Contains("import.enabled: false"));
  }
  SECTION("a value that is not a boolean is an error naming it") {
    for (const char* option : {"DRY_RUN", "DISABLE_MARK_UNPLAYED", "IMPORT_METADATA_ONLY"}) {
      auto file = parse_servers(head + "    " + option + ": maybe\n", "s.yaml");
      REQUIRE_FALSE(file.ok());
      CHECK(file.error().message ==
            std::string("s.yaml:6: home_plex.options.") + option + ": 'maybe' is not a boolean (true or false)");
    }
  }
}

TEST_CASE("servers.yaml errors never contain a token", "[config][servers][secrets]") {
  SECTION("a token written as a map") {
    auto file = parse_servers("a:\n  type: plex\n  url: http://x\n  token: {secret-value: 1}\n", "s.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK_THAT(file.error().message, !Catch::Contains("secret-value"));
  }
  SECTION("a URL carrying a token") {
    auto file = parse_servers("a:\n  type: plex\n  url: 'ftp://x/?X-Plex-Token=secret-value'\n", "s.yaml");
    REQUIRE_FALSE(file.ok());
    CHECK_THAT(file.error().message, !Catch::Contains("secret-value"));
    CHECK_THAT(file.error().message, Catch::Contains("X-Plex-Token=***"));
  }
}

TEST_CASE("a missing servers.yaml is an empty list", "[config][servers]") {
  TempDir dir;
  auto file = load_servers(dir.path / "none.yaml");
  REQUIRE(file.ok());
  CHECK(file->servers.empty());
}

TEST_CASE("the example servers.yaml loads without a warning", "[config][servers][example]") {
  auto file = parse_servers(example_servers_yaml(), "example");
  REQUIRE(file.ok());
  CHECK(file->servers.size() == 3);
  for (const auto& w : file->warnings) FAIL_CHECK(w.message);
}

TEST_CASE("save_servers keeps what it does not model and writes 0600", "[config][servers]") {
  TempDir dir;
  const fs::path path = dir.path / "config" / "servers.yaml";
  REQUIRE(write_private_file(path, kSeedFile, false).ok());
  auto file = load_servers(path);
  REQUIRE(file.ok());
  file->servers[0].uuid = "new-uuid";
  file->servers[1].export_last_sync = 1700000000;
  REQUIRE(save_servers(path, *file).ok());

  CHECK((fs::status(path).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  const std::string text = slurp(path);
  CHECK_THAT(text, Catch::Contains("IMPORT_METADATA_ONLY"));  // seed option kept
  CHECK_THAT(text, Catch::Contains("match:"));                // webhook.match kept
  auto again = load_servers(path);
  REQUIRE(again.ok());
  CHECK(again->warnings.empty());
  CHECK(again->servers[0].uuid == "new-uuid");
  CHECK(again->servers[1].export_last_sync == 1700000000);
  CHECK(again->servers[1].user == "user-id");
  CHECK(again->servers[0].ignored_libraries == file->servers[0].ignored_libraries);
  CHECK(again->servers[0].timeout_s == 120);
  CHECK_FALSE(again->servers[0].verify_tls);
  CHECK_FALSE(again->servers[0].webhook_push);
}

TEST_CASE("save_servers writes a new file that loads back equal", "[config][servers]") {
  TempDir dir;
  ServersFile file;
  ServerConfig s;
  s.name = "e";
  s.type = ServerType::emby;
  s.url = "http://e:8096";
  s.token = "tok";
  s.user = "u1";
  s.ignored_libraries = {"1", "2"};
  s.page_size = 300;
  file.servers.push_back(s);
  const fs::path path = dir.path / "servers.yaml";
  REQUIRE(save_servers(path, file).ok());
  auto again = load_servers(path);
  REQUIRE(again.ok());
  REQUIRE(again->servers.size() == 1);
  CHECK(again->servers[0].type == ServerType::emby);
  CHECK(again->servers[0].user == "u1");
  CHECK(again->servers[0].ignored_libraries == s.ignored_libraries);
  CHECK(again->servers[0].page_size == 300);
}

TEST_CASE("server types parse in any case and print lowercase", "[config][servers]") {
  CHECK(parse_server_type("Plex") == ServerType::plex);
  CHECK(parse_server_type("JELLYFIN") == ServerType::jellyfin);
  CHECK(parse_server_type("emby") == ServerType::emby);
  CHECK_FALSE(parse_server_type("kodi"));
  CHECK(to_string(ServerType::jellyfin) == "jellyfin");
}

TEST_CASE("a servers.yaml readable by group or others loads with a warning naming the file and chmod 600",
          "[config][servers][secrets]") {
  TempDir dir;
  const fs::path path = dir.path / "servers.yaml";
  REQUIRE(write_private_file(path, kSeedFile, false).ok());
  auto private_file = load_servers(path);
  REQUIRE(private_file.ok());
  for (const auto& w : private_file->warnings) CHECK_THAT(w.message, !Catch::Contains("chmod"));

  for (auto mode : {fs::perms::group_read, fs::perms::others_read}) {
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | mode);
    auto exposed = load_servers(path);
    REQUIRE(exposed.ok());
    REQUIRE_FALSE(exposed->warnings.empty());
    CHECK_THAT(exposed->warnings.front().message,
               Catch::Contains(path.string()) && Catch::Contains("chmod 600 " + path.string()) &&
                   Catch::Contains(mode == fs::perms::group_read ? "mode 0640" : "mode 0604"));
    CHECK(exposed->servers.size() == private_file->servers.size());
  }
}

TEST_CASE("loading servers.yaml registers its tokens for redaction", "[config][servers][secrets]") {
  TempDir dir;
  const fs::path path = dir.path / "servers.yaml";
  REQUIRE(write_private_file(path, "p:\n  type: plex\n  url: http://h:1\n  token: tok-registered-by-load\n"
                                   "  webhook: { token: hook-registered-by-load }\n", false).ok());
  CHECK(redact("tok-registered-by-load hook-registered-by-load") == "tok-registered-by-load hook-registered-by-load");
  REQUIRE(load_servers(path).ok());
  CHECK(redact("a tok-registered-by-load b hook-registered-by-load") == "a *** b ***");
}
