// The ingest process as a sender sees it: a real HTTP server on port 0, its spool in a temp
// folder, and a ZeroMQ ROUTER in the test standing in for the reconciler's events endpoint.
#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

#include <httplib.h>

#include "ingest_testutil.h"
#include "webhook_test_util.h"
#include "ws/curve_keys.h"
#include "ws/ingest.h"

using namespace ws;
using namespace std::chrono_literals;
using ws::testing::ReconcilerDouble;
using ws::testing::TempDir;
using ws::testing::wait_until;

namespace {

constexpr const char* kKey = "test-apikey-0123456789";

const std::string kServers = R"(my_plex:
  type: plex
  url: 'http://127.0.0.1:1'
  token: 'plex-token'
  uuid: '5f0c1e2d3b4a59687766554433221100aabbccdd'
my_jf:
  type: jellyfin
  url: 'http://127.0.0.1:2'
  token: 'jf-token'
  uuid: '0f1e2d3c4b5a69788796a5b4c3d2e1f0'
  user: '6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d'
  webhook: { token: 'jf-webhook-token' }
my_emby:
  type: emby
  url: 'http://127.0.0.1:3'
  token: 'emby-token'
  uuid: 'e3b0c44298fc1c149afbf4c8996fb924'
  user: '7e0f6a4c9b1d4e2f8a3b5c6d7e8f9a0b'
  webhook: { import: false }
)";

// An Ingest on 127.0.0.1:0 serving on its own thread until the object goes.
class Running {
 public:
  Running(zmq::context_t& context, const std::filesystem::path& root, const std::string& events,
          const std::function<void(IngestOptions&)>& tweak = {}) {
    IngestOptions o;
    o.paths.root = root;
    o.config.webhook.apikey = kKey;
    o.config.webhook.listen = "127.0.0.1:0";
    o.events_endpoint = events;
    o.heartbeat = 50ms;
    o.retry_base = 5ms;
    o.http_threads = 4;
    if (tweak) tweak(o);
    auto made = Ingest::create(context, o);
    if (!made) throw std::runtime_error(made.error().message);
    ingest_ = std::move(made.value());
    thread_ = std::thread([this] { ingest_->run(); });
  }
  ~Running() {
    ingest_->stop();
    thread_.join();
  }
  Ingest& operator*() { return *ingest_; }
  Ingest* operator->() { return ingest_.get(); }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", ingest_->listening_port());
    c.set_read_timeout(10, 0);
    return c;
  }

 private:
  std::unique_ptr<Ingest> ingest_;
  std::thread thread_;
};

void write_servers(const std::filesystem::path& root, const std::string& yaml) {
  std::filesystem::create_directories(root / "config");
  std::ofstream(root / "config" / "servers.yaml") << yaml;
}

std::string query(const std::string& type, const std::string& key) {
  std::string q = "/?type=" + type;
  if (!key.empty()) q += "&apikey=" + key;
  return q;
}

httplib::Result post_plex(httplib::Client& c, const std::string& payload, const std::string& key = kKey) {
  auto request = test::plex_request(payload);
  return c.Post(query("plex", key).c_str(), request.body, request.content_type.c_str());
}

httplib::Result post_json(httplib::Client& c, const std::string& type, const std::string& body,
                          const std::string& key = kKey) {
  return c.Post(query(type, key).c_str(), body, "text/plain");
}

std::string x_status(const httplib::Result& r) { return r ? r->get_header_value("X-Status") : "(no answer)"; }

}  // namespace

TEST_CASE("ingest answers each kind of webhook, and only accepted ones reach the spool", "[ingest][http]") {
  zmq::context_t context;
  TempDir dir;
  write_servers(dir.path, kServers);
  // The reconciler is away: whatever is accepted stays in the spool, where the test counts it.
  ReconcilerDouble probe(context);
  const std::string nowhere = probe.endpoint();
  Running ingest(context, dir.path, "tcp://127.0.0.1:1");
  auto c = ingest.client();
  const std::string scrobble = test::webhook_data("plex_episode_scrobble.json");
  const std::string toggle = test::webhook_data("jellyfin_userdata_toggle_played.json");

  auto expect = [&](const httplib::Result& r, int status, const std::string& prefix) {
    INFO(x_status(r));
    REQUIRE(r);
    CHECK(r->status == status);
    CHECK_THAT(r->get_header_value("X-Status"), Catch::StartsWith(prefix));
  };

  expect(post_plex(c, scrobble, ""), 401, "unauthorized: no key");
  expect(post_plex(c, scrobble, "wrong"), 401, "unauthorized: the key is not valid");
  expect(post_json(c, "jellyfin", toggle, "jf-webhook-token-x"), 401, "unauthorized");
  expect(post_json(c, "kodi", toggle), 400, "bad_request: type 'kodi'");
  expect(c.Post("/", toggle, "text/plain"), 401, "unauthorized");
  expect(post_json(c, "jellyfin", "{\"NotificationType\": \"UserDataSaved\", "), 400, "bad_request: malformed");
  expect(post_json(c, "plex", toggle), 400, "bad_request: malformed plex webhook");
  expect(post_plex(c, test::webhook_data("plex_admin_backup.json")), 200, "event_not_used");
  expect(post_plex(c, test::webhook_data("plex_movie_play.json")), 200, "sender_not_configured");
  std::string guest = scrobble;
  guest.replace(guest.find("\"id\": 1,"), 8, "\"id\": 23456789,");
  expect(post_plex(c, guest), 200, "other_user");
  expect(post_json(c, "emby", test::webhook_data("emby_markplayed_episode.json")), 200, "import_disabled");
  CHECK(ingest->spool().depth() == 0);

  SECTION("413: by Content-Length, and a chunked body that streams past the limit") {
    const std::string big(2 << 20, 'x');
    auto r = post_json(c, "jellyfin", big);
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK_THAT(x_status(r), Catch::StartsWith("too_large"));
    httplib::Client chunked("127.0.0.1", ingest->listening_port());
    auto streamed = chunked.Post(query("jellyfin", kKey).c_str(),
                                 [&](size_t offset, httplib::DataSink& sink) {
                                   if (offset >= (3u << 20)) {
                                     sink.done();
                                     return true;
                                   }
                                   const std::string block(64 << 10, 'y');
                                   return sink.write(block.data(), block.size());
                                 },
                                 "text/plain");
    REQUIRE(streamed);
    CHECK(streamed->status == 413);
    CHECK(ingest->metrics().requests(ServerType::jellyfin, 413) == 2);
    CHECK(ingest->spool().depth() == 0);
    // The server is still there for the next sender.
    auto fresh = ingest.client();
    expect(post_json(fresh, "jellyfin", toggle), 202, "accepted");
  }
  SECTION("202: accepted, spooled, with the key in the query, the header or the server's own token") {
    expect(post_plex(c, scrobble), 202, "accepted: completed_play media.scrobble for my_plex");
    httplib::Headers headers{{"X-Apikey", kKey}};
    auto r = c.Post("/any/prefix/?type=jellyfin", headers, toggle, "text/plain");
    expect(r, 202, "accepted: state_change UserDataSaved for my_jf");
    expect(post_json(c, "jellyfin", toggle, "jf-webhook-token"), 202, "accepted");
    CHECK(ingest->spool().depth() == 3);
    auto pending = ingest->spool().pending(0, 10);
    REQUIRE(pending);
    REQUIRE(pending->size() == 3);
    CHECK(pending->at(0).record.server == "my_plex");
    CHECK(pending->at(0).record.event["item"]["server"] == "my_plex");
    CHECK(pending->at(1).record.server == "my_jf");
    CHECK(pending->at(1).record.event["kind"] == "state_change");
    CHECK(pending->at(1).record.received_at > 0);

    auto metrics = c.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->status == 200);
    CHECK_THAT(metrics->body, Catch::Contains("ws_ingest_requests_total{type=\"plex\",status=\"202\"} 1"));
    CHECK_THAT(metrics->body, Catch::Contains("ws_ingest_requests_total{type=\"jellyfin\",status=\"202\"} 2"));
    CHECK_THAT(metrics->body, Catch::Contains("ws_ingest_requests_total{type=\"plex\",status=\"401\"} 2"));
    CHECK_THAT(metrics->body, Catch::Contains("ws_ingest_spool_depth 3"));
    CHECK_THAT(metrics->body, Catch::Contains("ws_ingest_apply_latency_seconds_count 0"));
    CHECK_THAT(metrics->body, Catch::Contains("ws_ingest_spool_commit_seconds_count 3"));
  }
  SECTION("GET /healthz says how the spool and the reconciler are") {
    auto r = c.Get("/healthz");
    REQUIRE(r);
    CHECK(r->status == 200);
    auto j = nlohmann::json::parse(r->body);
    CHECK(j["ok"] == true);
    CHECK(j["spool"]["depth"] == 0);
    CHECK(j["spool"]["writable"] == true);
    CHECK(j["reconciler"]["connected"] == false);
    CHECK(j["reconciler"]["last_ack_at"].is_null());
    auto other = c.Get("/nothing-here");
    REQUIRE(other);
    CHECK(other->status == 404);
  }
}

TEST_CASE("a full spool answers 503 with Retry-After and keeps what it accepted", "[ingest][http]") {
  zmq::context_t context;
  TempDir dir;
  write_servers(dir.path, kServers);
  Running ingest(context, dir.path, "tcp://127.0.0.1:1", [](IngestOptions& o) { o.config.webhook.spool_max = 2; });
  auto c = ingest.client();
  const std::string toggle = test::webhook_data("jellyfin_userdata_toggle_played.json");
  CHECK(post_json(c, "jellyfin", toggle)->status == 202);
  CHECK(post_json(c, "jellyfin", toggle)->status == 202);
  auto full = post_json(c, "jellyfin", toggle);
  REQUIRE(full);
  CHECK(full->status == 503);
  CHECK(full->get_header_value("Retry-After") == "5");
  CHECK_THAT(x_status(full), Catch::StartsWith("spool_full"));
  CHECK(ingest->spool().depth() == 2);
  auto health = c.Get("/healthz");
  CHECK(health->status == 200);  // full is not broken: it serves again once the reconciler acks
}

TEST_CASE("an event accepted before ingest stopped is sent after it starts again, then leaves the spool",
          "[ingest][http][durability]") {
  zmq::context_t context;
  TempDir dir;
  write_servers(dir.path, kServers);
  ReconcilerDouble probe(context);
  const std::string endpoint = probe.endpoint();
  {
    ReconcilerDouble holding(context, "tcp://127.0.0.1:*", ReconcilerDouble::Mode::hold);
    Running ingest(context, dir.path, holding.endpoint());
    auto client = ingest.client();
    auto r = post_plex(client, test::webhook_data("plex_episode_scrobble.json"));
    REQUIRE(r);
    REQUIRE(r->status == 202);
    REQUIRE(wait_until([&] { return holding.event_count() == 1; }));  // sent, never acked
  }  // ingest goes away before the ack
  ReconcilerDouble reconciler(context);
  Running ingest(context, dir.path, reconciler.endpoint());
  CHECK(ingest->spool().depth() == 1);
  REQUIRE(wait_until([&] { return ingest->spool().depth() == 0; }));
  const auto events = reconciler.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0]["server"] == "my_plex");
  CHECK(events[0]["event"]["event"] == "media.scrobble");
  CHECK(events[0]["event"]["item"]["item_id"] == "4711");
  REQUIRE(wait_until([&] { return ingest->forwarder_status().connected; }));
  auto health = nlohmann::json::parse(ingest.client().Get("/healthz")->body);
  CHECK(health["reconciler"]["connected"] == true);
  CHECK(health["reconciler"]["last_ack_at"].is_number());
  CHECK(health["reconciler"]["store_failed"].is_null());
  reconciler.set_store_health({{"ok", false}, {"error", "mdb_txn_commit: MDB_MAP_FULL"}});
  REQUIRE(wait_until([&] { return ingest->forwarder_status().store_failed == std::optional<bool>(true); }));
  auto failed = ingest.client().Get("/healthz");
  REQUIRE(failed);
  CHECK(failed->status == 200);  // ingest still takes webhooks: they wait in the spool
  health = nlohmann::json::parse(failed->body);
  CHECK(health["reconciler"]["store_failed"] == true);
  CHECK_THAT(health["reconciler"]["store_error"].get<std::string>(), Catch::Contains("MDB_MAP_FULL"));
  auto metrics = ingest.client().Get("/metrics");
  CHECK_THAT(metrics->body, Catch::Contains("ws_ingest_events_acked_total 1"));
  CHECK_THAT(metrics->body, Catch::Contains("ws_ingest_apply_latency_seconds_count 1"));
}

TEST_CASE("a spool that cannot be written answers 503, and /healthz says so", "[ingest][http]") {
  zmq::context_t context;
  TempDir dir;
  write_servers(dir.path, kServers);
  Running ingest(context, dir.path, "tcp://127.0.0.1:1",
                 [](IngestOptions& o) { o.spool_map_size = 64 << 10; });
  auto c = ingest.client();
  // Large accepted events fill the small map; the one that does not fit is refused, never lost.
  std::string toggle = test::webhook_data("jellyfin_userdata_toggle_played.json");
  toggle.replace(toggle.find("\"The Matrix\""), 12, "\"" + std::string(8000, 'M') + "\"");
  int accepted = 0;
  int status = 0;
  std::string last_status, retry_after;
  for (int i = 0; i < 50 && status != 503; ++i) {
    auto r = post_json(c, "jellyfin", toggle);
    REQUIRE(r);
    status = r->status;
    last_status = x_status(r);
    retry_after = r->get_header_value("Retry-After");
    if (status == 202) ++accepted;
  }
  CHECK(status == 503);
  CHECK(accepted > 0);
  CHECK_THAT(last_status, Catch::StartsWith("spool_unwritable"));
  CHECK(retry_after == "30");
  CHECK(ingest->spool().depth() == size_t(accepted));
  auto health = c.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 503);
  auto j = nlohmann::json::parse(health->body);
  CHECK(j["ok"] == false);
  CHECK(j["spool"]["writable"] == false);
  CHECK_THAT(j["spool"]["error"].get<std::string>(), Catch::Contains("MDB_MAP_FULL"));
}

TEST_CASE("an events endpoint off loopback needs the ingest's CURVE key, named when missing", "[ingest][curve]") {
  TempDir dir;
  zmq::context_t context;
  IngestOptions o;
  o.paths.root = dir.path;
  o.config.webhook.apikey = kKey;
  o.config.webhook.listen = "127.0.0.1:0";
  o.events_endpoint = "tcp://198.51.100.1:5561";  // TEST-NET-2: nothing is reached, the handshake is never made
  auto missing = Ingest::create(context, o);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::Contains((dir.path / "config" / "keys" / "ingest.key").string()) &&
                                          Catch::Contains("tcp://198.51.100.1:5561"));

  REQUIRE(generate_curve_keys(o.paths.keys_dir()).ok());
  auto made = Ingest::create(context, o);
  INFO((made.ok() ? "" : made.error().message));
  CHECK(made.ok());
}
