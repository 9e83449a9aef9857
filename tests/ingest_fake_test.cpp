// Ingest against what really posts webhooks: ws-fakeserver sending its server's real webhook
// shape (multipart Plex, Jellyfin's flat JSON, Emby's form field) to ingest's URL; and the
// ws-ingest binary killed with SIGKILL after its 202, before the reconciler's ack.
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include <httplib.h>

#include "e2e/e2e_harness.h"
#include "fake_process.h"
#include "ingest_testutil.h"
#include "webhook_test_util.h"
#include "ws/ingest.h"
#include "ws/spool.h"

using namespace ws;
using namespace std::chrono_literals;
using ws::fake::FakeProcess;
using ws::testing::ReconcilerDouble;
using ws::testing::TempDir;
using ws::testing::wait_until;

namespace {

constexpr const char* kKey = "fake-test-key";

// The events as the reconciler saw them, each spool entry once: under load ingest may resend what
// is in flight after a silence (docs/protocol.md "Events"), and a repeat is not a new event.
std::vector<nlohmann::json> distinct_events(const ReconcilerDouble& reconciler) {
  std::vector<nlohmann::json> out;
  std::set<uint64_t> seen;
  for (auto& e : reconciler.events())
    if (seen.insert(e.value("spool_id", uint64_t(0))).second) out.push_back(std::move(e));
  return out;
}

std::string first_item(const FakeProcess& fake, const std::string& type) {
  auto items = fake.get_json("/__fake/items?type=" + type);
  return items.at(0).at("id").get<std::string>();
}

}  // namespace

TEST_CASE("the fake servers' real webhooks are accepted for the right server, a Plex guest's is not",
          "[ingest][fakes]") {
  zmq::context_t context;
  TempDir dir;
  ReconcilerDouble reconciler(context);
  // Ingest first (its URL goes to the fakes), then servers.yaml: ingest reads it again when it
  // changes.
  IngestOptions o;
  o.paths.root = dir.path;
  o.config.webhook.apikey = kKey;
  o.config.webhook.listen = "127.0.0.1:0";
  o.events_endpoint = reconciler.endpoint();
  o.heartbeat = 50ms;
  o.servers_reload = 0ms;
  auto made = Ingest::create(context, o);
  REQUIRE(made);
  auto& ingest = *made.value();
  std::thread serving([&] { ingest.run(); });
  const std::string base = ingest.base_url() + "/hooks/?apikey=" + kKey + "&type=";

  auto plex = FakeProcess::start("plex", {"--movies", "3", "--shows", "1", "--webhook-url", base + "plex"});
  auto jellyfin = FakeProcess::start("jellyfin", {"--movies", "3", "--shows", "1", "--webhook-url", base + "jellyfin"});
  auto emby = FakeProcess::start("emby", {"--movies", "3", "--shows", "1", "--webhook-url", base + "emby"});
  const auto jf = jellyfin.get_json("/__fake/info");
  const auto em = emby.get_json("/__fake/info");
  std::filesystem::create_directories(dir.path / "config");
  std::ofstream(dir.path / "config" / "servers.yaml")
      << "my_plex:\n  type: plex\n  url: '" << plex.url() << "'\n  token: t\n  uuid: '"
      << plex.get_json("/__fake/info")["server_id"].get<std::string>() << "'\n"
      << "my_jf:\n  type: jellyfin\n  url: '" << jellyfin.url() << "'\n  token: t\n  uuid: '"
      << jf["server_id"].get<std::string>() << "'\n  user: '" << jf["user_id"].get<std::string>() << "'\n"
      << "my_emby:\n  type: emby\n  url: '" << emby.url() << "'\n  token: t\n  uuid: '"
      << em["server_id"].get<std::string>() << "'\n  user: '" << em["user_id"].get<std::string>() << "'\n";

  const std::string plex_episode = first_item(plex, "episode");
  const std::string jf_movie = first_item(jellyfin, "movie");
  const std::string emby_movie = first_item(emby, "movie");
  plex.post_json("/__fake/act", {{"item", plex_episode}, {"action", "play"}});
  jellyfin.post_json("/__fake/act", {{"item", jf_movie}, {"action", "play"}});
  emby.post_json("/__fake/act", {{"item", emby_movie}, {"action", "progress"}, {"progress_ms", 600000}});

  auto send = [](const FakeProcess& fake, nlohmann::json request) { return fake.post_json("/__fake/webhook", request); };
  auto r1 = send(plex, {{"event", "media.scrobble"}, {"item", plex_episode}});
  CHECK(r1["status"] == 202);
  auto r2 = send(jellyfin, {{"event", "UserDataSaved"}, {"item", jf_movie}});
  CHECK(r2["status"] == 202);
  auto r3 = send(emby, {{"event", "playback.stop"}, {"item", emby_movie}});
  CHECK(r3["status"] == 202);
  auto r4 = send(emby, {{"event", "playback.stop"}, {"item", emby_movie}, {"framing", "json"}});
  CHECK(r4["status"] == 202);
  auto guest = send(plex, {{"event", "media.scrobble"}, {"item", plex_episode}, {"account_id", "23456789"}});
  CHECK(guest["status"] == 200);
  CHECK_THAT(guest["body"].get<std::string>(), Catch::StartsWith("other_user"));

  REQUIRE(wait_until([&] { return distinct_events(reconciler).size() == 4 && ingest.spool().depth() == 0; }));
  const auto events = distinct_events(reconciler);
  CHECK(events[0]["server"] == "my_plex");
  CHECK(events[0]["event"]["kind"] == "completed_play");
  CHECK(events[0]["event"]["item"]["item_id"] == plex_episode);
  CHECK(events[1]["server"] == "my_jf");
  CHECK(events[1]["event"]["kind"] == "state_change");  // TogglePlayed after a play
  CHECK(events[1]["event"]["item"]["item_id"] == jf_movie);
  CHECK(events[2]["server"] == "my_emby");
  CHECK(events[2]["event"]["kind"] == "tainted_play");  // stopped at 10 minutes: not completed
  CHECK(events[2]["event"]["item"]["progress_ms"] == 600000);
  CHECK(events[3]["event"]["event_id"] == events[2]["event"]["event_id"]);  // same event, other framing

  ingest.stop();
  serving.join();
}

TEST_CASE("ws-ingest killed after its 202 and before the ack sends the event when it starts again",
          "[ingest][durability][process]") {
  zmq::context_t context;
  TempDir dir;
  ReconcilerDouble reconciler(context, "tcp://127.0.0.1:*", ReconcilerDouble::Mode::hold);
  std::filesystem::create_directories(dir.path / "config");
  std::ofstream(dir.path / "config" / "servers.yaml")
      << "my_plex:\n  type: plex\n  url: 'http://127.0.0.1:1'\n  token: t\n  uuid: "
         "'5f0c1e2d3b4a59687766554433221100aabbccdd'\n";
  std::ofstream(dir.path / "config" / "config.yaml")
      << "webhook:\n  apikey: '" << kKey << "'\n  listen: '127.0.0.1:0'\nendpoints:\n  events: '"
      << reconciler.endpoint() << "'\n";
  const e2e::Env env{{"WS_DATA_PATH", dir.path.string()}};
  auto start = [&](const std::string& name) {
    auto process = e2e::Process::spawn(WS_INGEST_BINARY, {}, env, dir.path / "logs", name);
    int port = 0;
    const std::regex listening("listening on http://127\\.0\\.0\\.1:(\\d+)");
    REQUIRE(wait_until([&] {
      const std::string out = process.out();
      std::smatch match;
      if (!std::regex_search(out, match, listening)) return false;
      port = std::stoi(match[1].str());
      return true;
    }));
    return std::make_pair(std::move(process), port);
  };

  auto [first, port] = start("ingest-1");
  httplib::Client client("127.0.0.1", port);
  auto request = test::plex_request(test::webhook_data("plex_episode_scrobble.json"));
  auto r = client.Post(("/?type=plex&apikey=" + std::string(kKey)).c_str(), request.body, request.content_type.c_str());
  REQUIRE(r);
  REQUIRE(r->status == 202);
  REQUIRE(wait_until([&] { return reconciler.event_count() == 1; }));  // sent; the reconciler holds it
  first.signal(SIGKILL);
  REQUIRE(first.wait(10s) == 128 + SIGKILL);

  auto stats = read_spool_stats(dir.path / "spool");
  REQUIRE(stats);
  CHECK(stats->pending == 1);
  reconciler.set_mode(ReconcilerDouble::Mode::ack);
  auto [second, second_port] = start("ingest-2");
  httplib::Client second_client("127.0.0.1", second_port);
  REQUIRE(wait_until([&] {
    auto health = second_client.Get("/healthz");
    return health && nlohmann::json::parse(health->body)["spool"]["depth"] == 0;
  }));
  const auto events = reconciler.events();
  REQUIRE(events.size() == 2);
  CHECK(events[1]["spool_id"] == events[0]["spool_id"]);
  CHECK(events[1]["event"]["event_id"] == events[0]["event"]["event_id"]);
  CHECK(events[1]["server"] == "my_plex");
  second.stop();
  CHECK(read_spool_stats(dir.path / "spool")->pending == 0);
}
