// `watchstate servers:test` against real fake servers: identity, token, user, libraries, and the
// uuid recorded into servers.yaml.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli_testutil.h"
#include "fake_process.h"
#include "ws/config.h"

using namespace ws;
using ws::fake::FakeProcess;
using ws::testing::DataDir;
using ws::testing::run;

namespace {

std::string server_yaml(const std::string& name, const FakeProcess& fake, const std::string& token,
                        const std::string& user) {
  std::string yaml = name + ":\n  type: " + fake.type() + "\n  url: '" + fake.url() + "'\n  token: '" + token + "'\n";
  if (!user.empty()) yaml += "  user: '" + user + "'\n";
  yaml += "  options: { timeout: 5 }\n";
  return yaml;
}

}  // namespace

TEST_CASE("servers:test checks every server and records its uuid", "[cli][servers_test]") {
  DataDir data;
  auto plex = FakeProcess::start("plex", {"--movies", "3", "--shows", "1"});
  auto jellyfin = FakeProcess::start("jellyfin", {"--movies", "3", "--shows", "1"});
  const auto plex_info = plex.get_json("/__fake/info");
  const auto jf_info = jellyfin.get_json("/__fake/info");
  data.write(data.servers(), server_yaml("my_plex", plex, plex.token(), "") +
                                 server_yaml("my_jf", jellyfin, jellyfin.token(), jf_info.at("user_id").get<std::string>()));

  auto r = run({"servers:test"});
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("my_plex (plex") && Catch::Contains("my_jf (jellyfin"));
  CHECK_THAT(r.out, Catch::Contains("token:     ok"));
  CHECK_THAT(r.out, Catch::Contains("movies") && Catch::Contains("shows"));
  CHECK_THAT(r.out, Catch::Contains(jf_info.at("user_id").get<std::string>()));

  auto saved = load_servers(data.servers());
  REQUIRE(saved.ok());
  CHECK(saved->find("my_plex")->uuid == plex_info.at("server_id").get<std::string>());
  CHECK(saved->find("my_jf")->uuid == jf_info.at("server_id").get<std::string>());
  CHECK(saved->find("my_plex")->token == plex.token());  // the rest of the file survives

  SECTION("one server by name, as JSON") {
    auto one = run({"servers:test", "my_jf", "--output", "json"});
    INFO(one.out << one.err);
    REQUIRE(one.code == 0);
    auto j = nlohmann::json::parse(one.out);
    REQUIRE(j.size() == 1);
    CHECK(j[0]["name"] == "my_jf");
    CHECK(j[0]["ok"] == true);
    CHECK(j[0]["uuid_recorded"] == false);  // already recorded by the first run
    CHECK(j[0]["libraries"].size() == 2);
  }
  SECTION("an unknown name is a usage error that lists the servers") {
    auto bad = run({"servers:test", "nope"});
    CHECK(bad.code == 2);
    CHECK_THAT(bad.err, Catch::Contains("no server named 'nope'") && Catch::Contains("my_plex"));
  }
}

TEST_CASE("servers:test reports a wrong token without showing it", "[cli][servers_test]") {
  DataDir data;
  auto plex = FakeProcess::start("plex", {"--movies", "3", "--shows", "1"});
  data.write(data.servers(), server_yaml("my_plex", plex, "not-the-token-42", ""));
  auto r = run({"servers:test", "my_plex"});
  CHECK(r.code == 1);
  const std::string all = r.out + r.err;
  CHECK_THAT(all, Catch::Contains("401 Unauthorized (check the token)"));
  CHECK_THAT(all, !Catch::Contains("not-the-token-42"));
  auto saved = load_servers(data.servers());
  REQUIRE(saved.ok());
  CHECK(saved->find("my_plex")->uuid.empty());  // nothing recorded from a failed test
}
