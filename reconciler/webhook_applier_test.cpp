// The reconciler's side of webhooks (webhook_applier.h): the kind table, the reading of
// event.webhook, and the reconciler whole in this process with DEALERs playing ingest, a fetcher
// and an exporter: acks after the commit, dedupe, the one-item fetch, pushes, dry runs.
#include "ws/webhook_applier.h"

#include <catch2/catch.hpp>

#include "reconciler_testutil.h"
#include "ws/protocol.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ws::EventKind;
using ws::Message;
using ws::WebhookKind;
using ws::testutil::Peer;
using ws::testutil::RunningReconciler;

const char* kServers =
    "plex:\n  type: plex\n  url: 'http://127.0.0.1:9'\n  token: 't'\n"
    "jf:\n  type: jellyfin\n  url: 'http://127.0.0.1:9'\n  token: 't'\n  user: 'u'\n"
    "quiet:\n  type: emby\n  url: 'http://127.0.0.1:9'\n  token: 't'\n  user: 'u'\n  webhook:\n    push: false\n";

constexpr int64_t kNow = 1'000'000;

ws::WebhookEvent event(const std::string& item_id, WebhookKind kind, bool watched, const std::string& id) {
  ws::WebhookEvent e;
  e.type = ws::ServerType::plex;
  e.event_name = kind == WebhookKind::completed_play ? "media.scrobble" : "media.play";
  e.kind = kind;
  e.item.item_id = item_id;
  e.item.type = ws::MediaType::movie;
  e.item.watched = watched;
  e.event_time = kNow - 100;
  e.event_id = id;
  return e;
}

json webhook_body(const std::string& server, const ws::WebhookEvent& e, uint64_t spool_id, bool dry_run = false) {
  json body = {{"server", server}, {"spool_id", spool_id}, {"received_at", kNow - 100}, {"attempt", 1}, {"event", e}};
  if (dry_run) body["dry_run"] = true;
  return body;
}

// A movie the state knows on plex (p1) and jf (j1) and quiet (q1), unplayed everywhere.
uint64_t seed_movie(RunningReconciler& r) {
  auto store = ws::testutil::open_writer(r.dir.db());
  ws::Record rec = ws::testutil::movie("tt0000001", "plex", "p1");
  rec.metadata["jf"].item_id = "j1";
  rec.metadata["quiet"].item_id = "q1";
  rec.updated = 1000;
  return ws::testutil::put_one(*store, rec);
}

std::optional<Message> ack_for(Peer& ingest, uint64_t spool_id, std::chrono::milliseconds limit = 5s) {
  return ingest.next([&](const Message& m) { return m.type == "ack" && m.body.value("spool_id", uint64_t(0)) == spool_id; },
                     limit);
}

}  // namespace

TEST_CASE("webhook kinds map onto the mapper's as webhook_event.h's table says", "[webhook_applier]") {
  CHECK(ws::mapper_event_kind(WebhookKind::state_change) == EventKind::mark);
  CHECK(ws::mapper_event_kind(WebhookKind::completed_play) == EventKind::completed_play);
  CHECK(ws::mapper_event_kind(WebhookKind::tainted_play) == EventKind::tainted);
  CHECK(ws::mapper_event_kind(WebhookKind::progress) == EventKind::tainted);
  CHECK(ws::mapper_event_kind(WebhookKind::item_added) == EventKind::tainted);
  CHECK_FALSE(ws::mapper_event_kind(WebhookKind::ignored));
}

TEST_CASE("an event.webhook that does not read is refused naming the field", "[webhook_applier]") {
  const auto good = webhook_body("plex", event("p1", WebhookKind::completed_play, true, "00000000000000a1"), 7);
  auto read = ws::read_webhook_message(good);
  REQUIRE(read);
  CHECK(read->server == "plex");
  CHECK(read->spool_id == 7u);
  CHECK(read->event.item.server == "plex");  // the event speaks for its matched server

  auto broken = [&](const std::function<void(json&)>& edit) {
    json body = good;
    edit(body);
    auto r = ws::read_webhook_message(body);
    REQUIRE_FALSE(r);
    return r.error().message;
  };
  CHECK_THAT(broken([](json& b) { b.erase("server"); }), Catch::Contains("server"));
  CHECK_THAT(broken([](json& b) { b["spool_id"] = "x"; }), Catch::Contains("spool_id"));
  CHECK_THAT(broken([](json& b) { b["event"] = 5; }), Catch::Contains("event"));
  CHECK_THAT(broken([](json& b) { b["event"]["kind"] = "ignored"; }), Catch::Contains("ignored"));
  CHECK_THAT(broken([](json& b) { b["event"]["item"]["item_id"] = ""; }), Catch::Contains("item_id"));
  CHECK_THAT(broken([](json& b) { b["dry_run"] = 1; }), Catch::Contains("dry_run"));
}

TEST_CASE("a completed play is acked after its commit, pushed to the other servers, and a repeat is not applied again",
          "[webhook_applier][reconciler]") {
  RunningReconciler r(kServers);
  r.clock = kNow;
  const uint64_t id = seed_movie(r);
  r.start();
  Peer exporter = r.worker();
  exporter.send("worker.ready", {{"worker", "exp"}, {"serves", "export"}});
  Peer ingest = r.events();

  ingest.send("event.webhook", webhook_body("plex", event("p1", WebhookKind::completed_play, true, "00000000000000a1"), 1));
  auto ack = ack_for(ingest, 1);
  REQUIRE(ack);
  CHECK(ack->body.at("ok") == true);

  // One push, to jf only: not to the sender, not to a server with webhook.push off.
  auto job = exporter.next_of("job.export");
  REQUIRE(job);
  CHECK(job->body.at("server") == "jf");
  REQUIRE(job->body.at("actions").size() == 1);
  CHECK(job->body["actions"][0]["action"] == "play");
  CHECK(job->body["actions"][0]["item"]["item_id"] == "j1");

  // The same event again (ingest resends after a silence): acked, not applied again.
  ingest.send("event.webhook", webhook_body("plex", event("p1", WebhookKind::completed_play, true, "00000000000000a1"), 1));
  auto again = ack_for(ingest, 1);
  REQUIRE(again);
  CHECK(again->body.at("ok") == true);

  auto store = r.stop_and_open_store();
  CHECK(store->webhook_event_applied("00000000000000a1"));
  auto rec = store->get(id);
  REQUIRE(rec);
  CHECK(rec->watched);
  CHECK(rec->via == "plex");
  CHECK(rec->updated == kNow - 100);  // the event's time, not the arrival's
}

TEST_CASE("a webhook's change is not pushed to a server with options.DRY_RUN", "[webhook_applier][reconciler]") {
  // `quiet` with webhook.push on: only its DRY_RUN keeps the push away.
  RunningReconciler r(
      "plex:\n  type: plex\n  url: 'http://127.0.0.1:9'\n  token: 't'\n"
      "jf:\n  type: jellyfin\n  url: 'http://127.0.0.1:9'\n  token: 't'\n  user: 'u'\n"
      "quiet:\n  type: emby\n  url: 'http://127.0.0.1:9'\n  token: 't'\n  user: 'u'\n  options:\n    DRY_RUN: true\n");
  r.clock = kNow;
  seed_movie(r);
  r.start();
  Peer ingest = r.events();
  ingest.send("event.webhook", webhook_body("plex", event("p1", WebhookKind::completed_play, true, "00000000000000d1"), 1, true));
  auto ack = ack_for(ingest, 1);
  REQUIRE(ack);
  CHECK(ack->body.at("decision").at("push") == json::array({"jf"}));
}

TEST_CASE("play, pause and stop events never change the watched flag", "[webhook_applier][reconciler]") {
  RunningReconciler r(kServers);
  r.clock = kNow;
  const uint64_t id = seed_movie(r);
  r.start();
  Peer ingest = r.events();
  // A tainted event that says played (some payloads do) is still only metadata and progress.
  auto e = event("p1", WebhookKind::tainted_play, true, "00000000000000b1");
  e.item.progress_ms = 600'000;
  ingest.send("event.webhook", webhook_body("plex", e, 1, true));
  auto dry = ack_for(ingest, 1);
  REQUIRE(dry);
  CHECK(dry->body.at("ok") == true);
  CHECK(dry->body.at("decision").at("action") == "progress");
  CHECK(dry->body.at("decision").at("watched") == false);
  CHECK(dry->body.at("decision").at("push") == json::array({"jf"}));

  ingest.send("event.webhook", webhook_body("plex", e, 2));
  REQUIRE(ack_for(ingest, 2));
  auto store = r.stop_and_open_store();
  auto rec = store->get(id);
  REQUIRE(rec);
  CHECK_FALSE(rec->watched);
  CHECK_FALSE(rec->metadata.at("plex").watched);  // a tainted flag is never the server's flag
  CHECK(rec->progress.ms == 600'000);
  CHECK(store->webhook_event_applied("00000000000000b1"));
}

TEST_CASE("a dry run answers the mapper's decision and commits nothing", "[webhook_applier][reconciler]") {
  RunningReconciler r(kServers);
  r.clock = kNow;
  const uint64_t id = seed_movie(r);
  r.start();
  Peer ingest = r.events();
  ingest.send("event.webhook", webhook_body("plex", event("p1", WebhookKind::completed_play, true, "00000000000000c1"), 3, true));
  auto ack = ack_for(ingest, 3);
  REQUIRE(ack);
  CHECK(ack->body.at("ok") == true);
  const json& d = ack->body.at("decision");
  CHECK(d.at("action") == "state");
  CHECK(d.at("watched") == true);
  CHECK(d.at("record") == id);
  CHECK_THAT(d.at("reason").get<std::string>(), Catch::Contains("over never-played record"));
  auto store = r.stop_and_open_store();
  CHECK_FALSE(store->get(id)->watched);
  CHECK_FALSE(store->webhook_event_applied("00000000000000c1"));
}

TEST_CASE("an event for an item the state does not know waits for a one-item fetch; repeats are acked with it",
          "[webhook_applier][reconciler]") {
  RunningReconciler r(kServers);
  r.clock = kNow;
  r.start();
  Peer fetcher = r.worker();
  fetcher.send("worker.ready", {{"worker", "f"}, {"serves", "fetch"}});
  Peer ingest = r.events();
  // Jellyfin's kind of payload: no ids at all.
  auto e = event("new1", WebhookKind::state_change, true, "00000000000000d1");
  ingest.send("event.webhook", webhook_body("jf", e, 10));
  auto job = fetcher.next_of("job.fetch");
  REQUIRE(job);
  CHECK(job->body.at("kind") == "items");
  CHECK(job->body.at("server") == "jf");
  CHECK(job->body.at("items") == json::array({"new1"}));
  // The repeat while the first waits: not acked before the fetch is answered.
  ingest.send("event.webhook", webhook_body("jf", e, 11));
  CHECK_FALSE(ack_for(ingest, 10, 300ms));

  SECTION("the server's answer is applied, and both copies are acked") {
    ws::MediaItem fetched;
    fetched.item_id = "new1";
    fetched.type = ws::MediaType::movie;
    fetched.title = "New";
    fetched.guids["imdb"] = "tt0000099";
    fetched.watched = true;
    fetched.played_at = kNow - 50;
    fetcher.send("job.done", {{"job", job->body.at("job")}, {"attempt", job->body.at("attempt")},
                              {"result", {{"items", json::array({fetched})}}}});
    auto first = ack_for(ingest, 10);
    auto second = ack_for(ingest, 11);
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->body.at("ok") == true);
    CHECK(second->body.at("ok") == true);
    auto store = r.stop_and_open_store();
    auto found = store->find_by_guid("imdb", "tt0000099");
    REQUIRE(found.size() == 1);
    CHECK(found[0].watched);
    CHECK(found[0].metadata.at("jf").item_id == "new1");
  }
  SECTION("a failed fetch refuses the events with retry, so ingest keeps them") {
    fetcher.send("job.failed", {{"job", job->body.at("job")}, {"attempt", job->body.at("attempt")},
                                {"error", "jf: 401"}, {"retryable", false}});
    auto first = ack_for(ingest, 10);
    REQUIRE(first);
    CHECK(first->body.at("ok") == false);
    CHECK(first->body.at("retry") == true);
    CHECK_THAT(first->body.at("error").get<std::string>(), Catch::Contains("jf: 401"));
  }
  SECTION("an item the server no longer lists is acked with nothing applied") {
    fetcher.send("job.done", {{"job", job->body.at("job")}, {"attempt", job->body.at("attempt")},
                              {"result", {{"items", json::array()}}}});
    auto first = ack_for(ingest, 10);
    REQUIRE(first);
    CHECK(first->body.at("ok") == true);
  }
}

TEST_CASE("an event naming a server servers.yaml does not list is refused for good", "[webhook_applier][reconciler]") {
  RunningReconciler r(kServers);
  r.clock = kNow;
  r.start();
  Peer ingest = r.events();
  ingest.send("event.webhook", webhook_body("nope", event("x", WebhookKind::progress, false, "00000000000000e1"), 5));
  auto ack = ack_for(ingest, 5);
  REQUIRE(ack);
  CHECK(ack->body.at("ok") == false);
  CHECK(ack->body.at("retry") == false);
  CHECK_THAT(ack->body.at("error").get<std::string>(), Catch::Contains("'nope'"));
}

TEST_CASE("the events endpoint answers a heartbeat with the store's health", "[webhook_applier][reconciler]") {
  RunningReconciler r(kServers);
  r.start();
  Peer ingest = r.events();
  ingest.send("heartbeat", json::object());
  auto beat = ingest.next_of("heartbeat");
  REQUIRE(beat);
  CHECK(beat->body.at("store").at("ok") == true);
}
