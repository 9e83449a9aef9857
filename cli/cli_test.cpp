#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "cli_testutil.h"
#include "ws/config.h"

using namespace ws;
using ws::testing::DataDir;
using ws::testing::run;

TEST_CASE("config:dump servers then servers:list works in an empty folder", "[cli]") {
  DataDir data;
  auto dump = run({"config:dump", "servers"});
  INFO(dump.err);
  REQUIRE(dump.code == 0);
  CHECK_THAT(dump.out, Catch::Contains(data.servers().string()));
  struct stat st {};
  REQUIRE(::stat(data.servers().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto list = run({"servers:list"});
  INFO(list.err);
  REQUIRE(list.code == 0);
  CHECK(list.err.empty());
  CHECK_THAT(list.out, Catch::StartsWith("NAME"));
  CHECK_THAT(list.out, Catch::Contains("my_plex") && Catch::Contains("my_jellyfin") && Catch::Contains("my_emby"));
  CHECK_THAT(list.out, !Catch::Contains("your-plex-token"));

  SECTION("and as JSON, with --output before or after the command") {
    for (auto args : {std::vector<std::string>{"--output", "json", "servers:list"},
                      std::vector<std::string>{"servers:list", "--output", "json"}}) {
      auto json_list = run(args);
      REQUIRE(json_list.code == 0);
      auto j = nlohmann::json::parse(json_list.out);
      REQUIRE(j.size() == 3);
      CHECK(j[0]["name"] == "my_plex");
      CHECK(j[1]["type"] == "jellyfin");
      CHECK(j[1]["user"] == "your-jellyfin-user-id");
      CHECK(j[2]["export"]["enabled"] == false);
      CHECK_THAT(json_list.out, !Catch::Contains("your-plex-token"));
    }
  }
}

TEST_CASE("servers:list in a folder with no servers.yaml says how to start", "[cli]") {
  DataDir data;
  auto list = run({"servers:list"});
  CHECK(list.code == 0);
  CHECK_THAT(list.out, Catch::Contains("config:dump servers"));
}

TEST_CASE("a broken servers.yaml gives an error naming the line", "[cli]") {
  DataDir data;
  SECTION("a bad value") {
    data.write(data.servers(), "my_plex:\n  type: plx\n  url: http://x:32400\n  token: secret-token-value\n");
    auto list = run({"servers:list"});
    CHECK(list.code == 1);
    CHECK_THAT(list.err, Catch::Contains(data.servers().string() + ":2: my_plex.type: 'plx' is not one of"));
    CHECK_THAT(list.err, !Catch::Contains("secret-token-value"));
  }
  SECTION("a YAML syntax error") {
    data.write(data.servers(), "my_plex:\n  type: plex\n  url: [http://x\n  token: t\n");
    auto list = run({"servers:list"});
    CHECK(list.code == 1);
    CHECK_THAT(list.err, Catch::Contains(data.servers().string() + ":") && Catch::Contains("YAML syntax error"));
  }
  SECTION("unknown keys warn and still list") {
    data.write(data.servers(), "a:\n  type: plex\n  url: http://x\n  token: t\n  colour: blue\n");
    auto list = run({"servers:list"});
    CHECK(list.code == 0);
    CHECK_THAT(list.err, Catch::Contains("servers.yaml:5: a.colour: unknown key"));
  }
}

TEST_CASE("config:dump never overwrites an existing file", "[cli]") {
  DataDir data;
  for (std::string what : {"servers", "config"}) {
    const auto path = what == "servers" ? data.servers() : data.config();
    data.write(path, "# mine\n");
    auto dump = run({"config:dump", what});
    CHECK(dump.code == 1);
    CHECK_THAT(dump.err, Catch::Contains(path.string()) && Catch::Contains("already exists"));
    CHECK(data.read(path) == "# mine\n");
  }
}

TEST_CASE("config:dump config writes a file that loads to the defaults", "[cli]") {
  DataDir data;
  REQUIRE(run({"config:dump", "config"}).code == 0);
  auto file = load_config(data.config());
  REQUIRE(file.ok());
  CHECK(file->warnings.empty());
  CHECK(file->config.webhook.listen == AppConfig{}.webhook.listen);
}

TEST_CASE("config:generate creates a key once and keeps it", "[cli]") {
  DataDir data;
  auto isHex64 = Catch::Matches("[0-9a-f]{64}");

  SECTION("in an empty folder") {
    auto first = run({"config:generate"});
    REQUIRE(first.code == 0);
    auto file = load_config(data.config());
    REQUIRE(file.ok());
    const std::string key = file->config.webhook.apikey;
    CHECK_THAT(key, isHex64);
    CHECK_THAT(first.out, Catch::Contains(key));
    struct stat st {};
    REQUIRE(::stat(data.config().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    auto second = run({"--output", "json", "config:generate"});
    REQUIRE(second.code == 0);
    auto j = nlohmann::json::parse(second.out);
    CHECK(j["apikey"] == key);
    CHECK(j["created"] == false);
  }
  SECTION("an existing key is kept") {
    data.write(data.config(), "webhook:\n  apikey: my-own-key\n");
    auto r = run({"config:generate"});
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("my-own-key"));
    CHECK(data.read(data.config()) == "webhook:\n  apikey: my-own-key\n");
  }
  SECTION("a file without a key gets one and keeps its comments and settings") {
    data.write(data.config(), "# my settings\nlog:\n  level: debug   # loud\nwebhook:\n  listen: '127.0.0.1:9999'\n");
    auto r = run({"config:generate"});
    REQUIRE(r.code == 0);
    const std::string text = data.read(data.config());
    CHECK_THAT(text, Catch::Contains("# loud"));
    auto file = load_config(data.config());
    REQUIRE(file.ok());
    CHECK_THAT(file->config.webhook.apikey, isHex64);
    CHECK(file->config.webhook.listen == "127.0.0.1:9999");
    CHECK(file->config.log_level == "debug");
  }
  SECTION("a dumped example gets its empty key filled, comment kept") {
    REQUIRE(run({"config:dump", "config"}).code == 0);
    REQUIRE(run({"config:generate"}).code == 0);
    auto file = load_config(data.config());
    REQUIRE(file.ok());
    CHECK_THAT(file->config.webhook.apikey, isHex64);
    CHECK_THAT(data.read(data.config()), Catch::Contains("config:generate"));
  }
  SECTION("a flow-style webhook block still works") {
    data.write(data.config(), "webhook: {listen: '0.0.0.0:1234'}\n");
    REQUIRE(run({"config:generate"}).code == 0);
    auto file = load_config(data.config());
    REQUIRE(file.ok());
    CHECK_THAT(file->config.webhook.apikey, isHex64);
    CHECK(file->config.webhook.listen == "0.0.0.0:1234");
  }
  SECTION("it prints the webhook URL of each configured server, with that server's own token") {
    data.write(data.config(), "webhook:\n  apikey: global-key\n  listen: '0.0.0.0:9090'\n");
    data.write(data.servers(),
               "my_plex:\n  type: plex\n  url: http://p:32400\n  token: t\n"
               "my_jf:\n  type: jellyfin\n  url: http://j:8096\n  token: t\n  user: u\n  webhook: { token: jf-own-key }\n");
    auto r = run({"config:generate", "--host", "ws.lan"});
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("my_plex (plex): http://ws.lan:9090/?type=plex&apikey=global-key"));
    CHECK_THAT(r.out, Catch::Contains("my_jf (jellyfin): http://ws.lan:9090/?type=jellyfin&apikey=jf-own-key"));
    auto j = nlohmann::json::parse(run({"config:generate", "--output", "json", "--host", "ws.lan"}).out);
    REQUIRE(j["webhook_urls"].size() == 2);
    CHECK(j["webhook_urls"][0]["server"] == "my_plex");
    CHECK(j["webhook_urls"][0]["url"] == "http://ws.lan:9090/?type=plex&apikey=global-key");
  }
  SECTION("with no server configured, one URL per type on the listen address") {
    data.write(data.config(), "webhook:\n  apikey: k\n  listen: '192.168.1.5:8081'\n");
    auto r = run({"config:generate"});
    REQUIRE(r.code == 0);
    for (const char* type : {"plex", "jellyfin", "emby"})
      CHECK_THAT(r.out, Catch::Contains(std::string("any ") + type + " server: http://192.168.1.5:8081/?type=" + type +
                                        "&apikey=k"));
  }
  SECTION("a broken config.yaml is reported, not replaced") {
    data.write(data.config(), "log:\n  level: loud\n");
    auto r = run({"config:generate"});
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("config.yaml:2: log.level"));
    CHECK(data.read(data.config()) == "log:\n  level: loud\n");
  }
}

TEST_CASE("config:generate makes the CURVE keys once, says which, and never prints a secret key", "[cli][curve]") {
  DataDir data;
  const auto keys = data.path / "config" / "keys";
  auto first = run({"config:generate"});
  INFO(first.err);
  REQUIRE(first.code == 0);
  for (const char* name : {"reconciler", "fetcher", "exporter", "ingest", "cli"}) {
    INFO(name);
    CHECK(std::filesystem::exists(keys / (std::string(name) + ".key")));
    CHECK(std::filesystem::exists(keys / (std::string(name) + ".pub")));
    CHECK_THAT(first.out, Catch::Contains(std::string("created the CURVE keys of ") + name));
    const std::string secret = data.read(keys / (std::string(name) + ".key"));
    const std::string z85 = secret.substr(secret.find('\n') + 1, 40);
    CHECK_THAT(first.out + first.err, !Catch::Contains(z85));
  }
  struct stat st {};
  REQUIRE(::stat(keys.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  const std::string fetcher_secret = data.read(keys / "fetcher.key");

  auto second = run({"--output", "json", "config:generate"});
  REQUIRE(second.code == 0);
  auto j = nlohmann::json::parse(second.out);
  REQUIRE(j["curve"]["keys"].size() == 5);
  for (const auto& k : j["curve"]["keys"]) CHECK(k["action"] == "kept");
  CHECK(data.read(keys / "fetcher.key") == fetcher_secret);

  SECTION("--keys-only leaves config.yaml alone") {
    DataDir other;
    auto r = run({"config:generate", "--keys-only"});
    REQUIRE(r.code == 0);
    CHECK_FALSE(std::filesystem::exists(other.config()));
    CHECK(std::filesystem::exists(other.path / "config" / "keys" / "cli.key"));
  }
}

TEST_CASE("usage errors exit 2 and --help exits 0 on every command", "[cli]") {
  DataDir data;
  SECTION("no command") { CHECK(run({}).code == 2); }
  SECTION("an unknown command") { CHECK(run({"nope:nothing"}).code == 2); }
  SECTION("a bad argument") { CHECK(run({"config:dump", "everything"}).code == 2); }
  SECTION("a bad --output") { CHECK(run({"--output", "xml", "servers:list"}).code == 2); }
  SECTION("a bad --limit") { CHECK(run({"state:list", "--limit", "lots"}).code == 2); }
  SECTION("an import's --force without -f") {
    CHECK(run({"state:import", "--force"}).code == 2);
    auto enqueued = run({"enqueue", "import", "--force"});
    CHECK(enqueued.code == 2);
    CHECK_THAT(enqueued.err, Catch::Contains("needs -f"));
  }
  SECTION("help") {
    auto top = run({"--help"});
    CHECK(top.code == 0);
    for (const char* cmd : {"config:dump", "config:generate", "servers:list", "db:stats", "state:list", "state:show"}) {
      CHECK_THAT(top.out, Catch::Contains(cmd));
      auto help = run({cmd, "--help"});
      INFO(cmd);
      CHECK(help.code == 0);
      CHECK_THAT(help.out, Catch::Contains(cmd));
    }
  }
}

TEST_CASE("verbosity flags are accepted before and after the command", "[cli]") {
  DataDir data;
  CHECK(run({"-v", "servers:list"}).code == 0);
  CHECK(run({"-vv", "servers:list"}).code == 0);
  CHECK(run({"servers:list", "-vvv"}).code == 0);
  CHECK(run({"--verbose", "servers:list"}).code == 0);
}
