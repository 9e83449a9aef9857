// `watchstate servers:test` against real fake servers: identity, token, user, libraries, and the
// uuid recorded into servers.yaml.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli_testutil.h"
#include "fake_process.h"
#include "ws/config.h"

using namespace ws;
using ws::fake::FakeProcess;
using ws::testing::DataDir;
using ws::testing::run;

namespace {

// servers:test asks plex.tv for the Plex owner's account id (WS_PLEX_TV_URL); tests never reach
// the real one: each sets where it goes, and every other test here asks nobody.
struct PlexTvUrl {
  explicit PlexTvUrl(const std::string& url) { ::setenv("WS_PLEX_TV_URL", url.c_str(), 1); }
  ~PlexTvUrl() { ::setenv("WS_PLEX_TV_URL", "", 1); }
};
const bool kNoPlexTv = [] { return ::setenv("WS_PLEX_TV_URL", "", 1) == 0; }();

// plex.tv's GET /api/v2/user, answering for one token.
class FakePlexTv {
 public:
  FakePlexTv(std::string token, std::string account_id) {
    server_.Get("/api/v2/user", [token, account_id](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("X-Plex-Token") != token) {
        res.status = 401;
        return;
      }
      res.set_content(nlohmann::json{{"id", std::stoll(account_id)}, {"uuid", "abc"}, {"username", "fakeuser"}}.dump(),
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~FakePlexTv() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

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

TEST_CASE("servers:test records the Plex owner's account id for webhooks", "[cli][servers_test][plex_owner]") {
  REQUIRE(kNoPlexTv);
  DataDir data;
  SECTION("plex.tv's account id when plex.tv answers (what current Plex versions put in webhooks)") {
    auto plex = FakeProcess::start("plex", {"--movies", "1", "--shows", "1"});
    FakePlexTv plextv(plex.token(), "139113761");
    PlexTvUrl url(plextv.url());
    data.write(data.servers(), server_yaml("my_plex", plex, plex.token(), ""));
    auto r = run({"servers:test"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("owner:     fakeuser (account 1, plex.tv account 139113761)"));
    CHECK(load_servers(data.servers())->find("my_plex")->owner_id == "139113761");
    auto again = run({"servers:test", "--output", "json"});
    auto j = nlohmann::json::parse(again.out);
    CHECK(j[0]["owner"]["plextv_id"] == "139113761");
    CHECK(j[0]["owner"]["local_id"] == "1");
  }
  SECTION("the owner PMS lists in /accounts when plex.tv does not answer, with a warning") {
    auto plex = FakeProcess::start("plex", {"--movies", "1", "--shows", "1", "--user-id", "55555"});
    PlexTvUrl url(plex.url());  // answers 404 there
    data.write(data.servers(), server_yaml("my_plex", plex, plex.token(), ""));
    auto r = run({"servers:test"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("owner:     fakeuser (account 55555)"));
    CHECK_THAT(r.err, Catch::Contains("plex.tv did not say the owner's account id") && !Catch::Contains(plex.token()));
    CHECK(load_servers(data.servers())->find("my_plex")->owner_id == "55555");
  }
  SECTION("plex.tv never asked when WS_PLEX_TV_URL is empty") {
    auto plex = FakeProcess::start("plex", {"--movies", "1", "--shows", "1"});
    data.write(data.servers(), server_yaml("my_plex", plex, plex.token(), ""));
    auto r = run({"servers:test"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.err, !Catch::Contains("plex.tv"));
    CHECK(load_servers(data.servers())->find("my_plex")->owner_id == "1");
  }
}
