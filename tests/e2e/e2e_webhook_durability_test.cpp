// Webhooks end to end, what must never happen (issue 9, "Done when"): a shared user's Plex play
// marking the owner's history; a refused webhook (bad key, no key, bad type, malformed, too large)
// reaching the spool or the state; an accepted webhook lost or applied twice when ingest or the
// reconciler dies (and e2e_webhook_chaos_test.cpp: kill -9 during a mixed load). Black box: the real ws-ingest, ws-reconciler, ws-fetcher and ws-exporter
// binaries against ws-fakeserver processes sending their servers' real webhook shapes; what is
// checked is what a user or an operator sees — the fakes' items and writes, `watchstate
// state:backup` and `db:stats`, ingest's /healthz and /metrics.
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e_cli.h"
#include "e2e_fakes.h"
#include "e2e_harness.h"
#include "e2e_ingest.h"
#include "e2e_stack.h"
#include "e2e_webhook_util.h"

namespace {

using namespace ws::e2e;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kKey = kWebhookKey;

// servers:test asks plex.tv for the Plex owner's account id; these tests never reach it (the
// fake's /accounts names the owner instead).
const bool kNoPlexTv = [] { return ::setenv("WS_PLEX_TV_URL", "", 1) == 0; }();

// Items every server of `fakes` has and none has played, as matched across servers.
std::vector<ItemGroup> unplayed_everywhere(const FakeSet& fakes) {
  const Snapshot snapshot = fakes.snapshot();
  std::vector<ItemGroup> out;
  for (const auto& g : match_across(snapshot)) {
    if (g.ids.size() != fakes.names().size()) continue;
    bool any = false;
    for (const auto& [server, id] : g.ids) any |= snapshot.at(server).at(id).watched;
    if (!any) out.push_back(g);
  }
  return out;
}

FakeItem item_on(const FakeSet& fakes, const std::string& server, const std::string& id) {
  const auto items = fake_items(fakes[server]);
  for (const auto& item : items)
    if (item.id == id) return item;
  throw std::runtime_error("no item " + id + " on " + server);
}

// Sends `server`'s real webhook for `request` (event, item, ...) to `url`; the fake's answer
// {status, body} is what ingest answered.
json send_webhook(const FakeSet& fakes, const std::string& server, const std::string& url, json request) {
  request["url"] = url;
  return fakes[server].post_json("/__fake/webhook", request);
}

// The writes a fake recorded about item `id`, as "action" strings.
std::multiset<std::string> writes_about(const FakeSet& fakes, const std::string& server, const std::string& id) {
  std::multiset<std::string> out;
  for (const auto& w : parse_writes(fakes[server].type(), fake_writes(fakes[server])))
    if (w.item == id) out.insert(w.action);
  return out;
}

std::string show(const std::multiset<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += x + " ";
  return out.empty() ? "(none)" : out;
}

// SIGCONT for a process a test froze with SIGSTOP, whatever way the test leaves.
struct Thaw {
  Process& process;
  ~Thaw() { process.signal(SIGCONT); }
};

}  // namespace

TEST_CASE("a Plex webhook about a shared user's play is answered 200 other_user and changes nothing",
          "[e2e][webhook]") {
  const int port = ws::fake::free_port();
  // The owner's account is 4242, not Plex's local 1: only what servers:test records lets ingest
  // know the owner's own plays from a guest's.
  auto fakes = FakeSet::start(three_servers({{"plex", {"--user-id", "4242"}}}), small_catalog());
  DataFolder folder("webhook-guest");
  folder.write_servers(fakes.servers());
  folder.write_config(webhook_config(kKey, port));
  watchstate_ok(folder, {"servers:test"});
  {
    std::ifstream in(folder.root() / "config" / "servers.yaml");
    const std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(yaml);
    REQUIRE(yaml.find("4242") != std::string::npos);  // owner_id recorded
  }
  Stack stack(folder, 1, 1);
  watchstate_ok(folder, {"state:import"});
  IngestProcess ingest(folder, port, kKey);
  const auto candidates = unplayed_everywhere(fakes);
  REQUIRE(candidates.size() >= 2);
  const ItemGroup& guests = candidates[0];
  const ItemGroup& owners = candidates[1];
  INFO("the guest plays " << guests.label << ", the owner " << owners.label);

  const json guest = send_webhook(fakes, "plex", ingest.webhook_url("plex"),
                                  {{"event", "media.scrobble"}, {"item", guests.ids.at("plex")}, {"account_id", "23456789"}});
  INFO("guest: " << guest.dump() << "\n" << ingest.logs());
  CHECK(guest.at("status") == 200);
  CHECK_THAT(guest.value("body", ""), Catch::StartsWith("other_user"));
  // Not spooled: a spooled event counts in the depth from before its answer until its ack.
  CHECK(ingest.spool_depth() == 0);
  CHECK(ingest.metric("ws_ingest_events_acked_total") == 0);
  CHECK(ingest.metric("ws_ingest_events_refused_total") == 0);
  CHECK(ingest.metric(R"(ws_ingest_requests_total{type="plex",status="200"})") == 1);

  // The owner's own play of another item goes all the way: so the guest's would have, had ingest
  // taken it.
  fakes["plex"].post_json("/__fake/act", {{"item", owners.ids.at("plex")}, {"action", "play"}});
  const json owner = send_webhook(fakes, "plex", ingest.webhook_url("plex"),
                                  {{"event", "media.scrobble"}, {"item", owners.ids.at("plex")}});
  REQUIRE(owner.at("status") == 202);
  const bool pushed = wait_until(
      [&] {
        return item_on(fakes, "jellyfin", owners.ids.at("jellyfin")).watched &&
               item_on(fakes, "emby", owners.ids.at("emby")).watched;
      },
      30s, 100ms);
  REQUIRE_LOGGED(stack, pushed);
  REQUIRE_LOGGED(stack, wait_until([&] { return quiet(ingest, folder); }, 30s, 100ms));
  CHECK(ingest.metric("ws_ingest_events_acked_total") == 1);

  const auto state = StateDump::of(folder);
  CHECK(state.watched("plex", owners.ids.at("plex")));
  CHECK_FALSE(state.watched("plex", guests.ids.at("plex")));
  for (const std::string server : {"jellyfin", "emby"}) {
    CHECK_FALSE(item_on(fakes, server, guests.ids.at(server)).watched);
    CHECK(writes_about(fakes, server, guests.ids.at(server)).empty());
  }
  CHECK(writes_about(fakes, "plex", guests.ids.at("plex")).empty());
  for (const auto& problem : stack.stop()) FAIL_CHECK(problem);
}

TEST_CASE("webhooks with a bad key, no key, a bad type, a malformed or an oversized body reach neither the spool nor the state",
          "[e2e][webhook]") {
  const int port = ws::fake::free_port();
  auto specs = three_servers();
  specs.pop_back();  // Plex and Jellyfin
  auto fakes = FakeSet::start(specs, small_catalog());
  DataFolder folder("webhook-refused");
  folder.write_servers(fakes.servers());
  folder.write_config(webhook_config(kKey, port, "  max_body: 64K\n"));
  Stack stack(folder, 1, 1);
  watchstate_ok(folder, {"state:import"});
  IngestProcess ingest(folder, port, kKey);
  const auto candidates = unplayed_everywhere(fakes);
  REQUIRE(candidates.size() >= 3);
  const ItemGroup& refused = candidates[0];  // every refused webhook plays this one
  const ItemGroup& control = candidates[1];
  const ItemGroup& on_jellyfin = candidates[2];
  fakes["jellyfin"].post_json("/__fake/act", {{"item", on_jellyfin.ids.at("jellyfin")}, {"action", "play"}});
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/";
  const json plex_scrobble = {{"event", "media.scrobble"}, {"item", refused.ids.at("plex")}};
  const json jellyfin_played = {{"event", "UserDataSaved"}, {"item", on_jellyfin.ids.at("jellyfin")}};
  // A valid Jellyfin body, to be cut or padded.
  const std::string jellyfin_body =
      R"({"NotificationType":"UserDataSaved","SaveReason":"TogglePlayed","ServerId":"x","ItemId":")" +
      on_jellyfin.ids.at("jellyfin") + R"(","ItemType":"Movie","Name":"x","Played":true,"PlayCount":1})";

  struct Case {
    std::string what;
    int expected;
    std::function<HttpAnswer()> send;
  };
  auto through_fake = [&](const std::string& server, const std::string& url, const json& request) {
    const json a = send_webhook(fakes, server, url, request);
    return HttpAnswer{a.at("status").get<int>(), "", a.value("body", "")};
  };
  const std::vector<Case> cases = {
      {"a wrong key", 401, [&] { return through_fake("plex", base + "?type=plex&apikey=not-the-key", plex_scrobble); }},
      {"no key", 401, [&] { return through_fake("plex", base + "?type=plex", plex_scrobble); }},
      {"a wrong X-Apikey", 401,
       [&] { return post_raw(port, "/?type=jellyfin", jellyfin_body, "text/plain", {{"X-Apikey", "nope"}}); }},
      {"an unknown type", 400,
       [&] { return through_fake("jellyfin", base + "?type=kodi&apikey=" + std::string(kKey), jellyfin_played); }},
      {"no type", 400, [&] { return through_fake("jellyfin", base + "?apikey=" + std::string(kKey), jellyfin_played); }},
      {"Plex's body under type=jellyfin", 400,
       [&] { return through_fake("plex", base + "?type=jellyfin&apikey=" + std::string(kKey), plex_scrobble); }},
      {"a truncated JSON body", 400,
       [&] {
         return post_raw(port, "/?type=jellyfin&apikey=" + std::string(kKey),
                         jellyfin_body.substr(0, jellyfin_body.size() / 2), "text/plain");
       }},
      {"a body over webhook.max_body", 413,
       [&] {
         std::string big = jellyfin_body;
         big.insert(big.size() - 1, ",\"Padding\":\"" + std::string(100 * 1024, 'x') + "\"");
         return post_raw(port, "/?type=jellyfin&apikey=" + std::string(kKey), big, "text/plain");
       }},
  };
  for (const auto& c : cases) {
    const HttpAnswer a = c.send();
    INFO(c.what << ": " << a.status << " " << a.x_status << " " << a.body << "\n" << ingest.logs());
    CHECK(a.status == c.expected);
    CHECK(ingest.spool_depth() == 0);
  }
  CHECK(ingest.metric("ws_ingest_events_acked_total") == 0);
  CHECK(ingest.metric("ws_ingest_events_refused_total") == 0);
  CHECK(ingest.spool_failed() == 0);
  const json spool = db_stats(folder).at("spool");
  INFO("db:stats spool: " << spool.dump());
  CHECK(spool.at("pending") == 0);
  CHECK(spool.at("failed") == 0);

  // A valid webhook after them is taken and applied: the pipeline was open all along.
  fakes["plex"].post_json("/__fake/act", {{"item", control.ids.at("plex")}, {"action", "play"}});
  const json ok = send_webhook(fakes, "plex", ingest.webhook_url("plex"),
                               {{"event", "media.scrobble"}, {"item", control.ids.at("plex")}});
  REQUIRE(ok.at("status") == 202);
  REQUIRE_LOGGED(stack, wait_until([&] { return item_on(fakes, "jellyfin", control.ids.at("jellyfin")).watched; }, 30s, 100ms));
  REQUIRE_LOGGED(stack, wait_until([&] { return quiet(ingest, folder); }, 30s, 100ms));
  CHECK(ingest.metric("ws_ingest_events_acked_total") == 1);

  const auto state = StateDump::of(folder);
  CHECK(state.watched("plex", control.ids.at("plex")));
  CHECK_FALSE(state.watched("plex", refused.ids.at("plex")));
  CHECK_FALSE(state.watched("jellyfin", on_jellyfin.ids.at("jellyfin")));  // played there, but never told
  CHECK_FALSE(item_on(fakes, "jellyfin", refused.ids.at("jellyfin")).watched);
  CHECK_FALSE(item_on(fakes, "plex", on_jellyfin.ids.at("plex")).watched);
  CHECK(writes_about(fakes, "jellyfin", refused.ids.at("jellyfin")).empty());
  CHECK(writes_about(fakes, "plex", on_jellyfin.ids.at("plex")).empty());
  for (const auto& problem : stack.stop()) FAIL_CHECK(problem);
}

TEST_CASE("ws-ingest killed after its 202 and before the reconciler's ack: after a restart the event is applied exactly once",
          "[e2e][webhook][durability]") {
  const int port = ws::fake::free_port();
  auto specs = three_servers();
  specs.pop_back();  // Plex and Jellyfin
  auto fakes = FakeSet::start(specs, small_catalog());
  DataFolder folder("webhook-ingest-killed");
  folder.write_servers(fakes.servers());
  folder.write_config(webhook_config(kKey, port));
  Stack stack(folder, 1, 1);
  watchstate_ok(folder, {"state:import"});
  IngestProcess ingest(folder, port, kKey);
  const auto candidates = unplayed_everywhere(fakes);
  REQUIRE(candidates.size() >= 1);
  const ItemGroup& item = candidates[0];
  INFO("Plex scrobbles " << item.label);
  const json scrobble = {{"event", "media.scrobble"}, {"item", item.ids.at("plex")}};
  fakes["plex"].post_json("/__fake/act", {{"item", item.ids.at("plex")}, {"action", "play"}});

  SECTION("the reconciler was down when the webhook came") {
    stack.reconciler().signal(SIGTERM);
    REQUIRE(stack.reconciler().wait(10s) == 0);
    REQUIRE(send_webhook(fakes, "plex", ingest.webhook_url("plex"), scrobble).at("status") == 202);
    CHECK(ingest.spool_depth() == 1);
    ingest.kill();
    CHECK(db_stats(folder).at("spool").at("pending") == 1);  // on disk, as the 202 promised
    ingest.restart();
    CHECK(ingest.spool_depth() == 1);
    stack.restart_reconciler();
  }
  SECTION("the reconciler was frozen (SIGSTOP) with the event sent to it") {
    REQUIRE(wait_until([&] { return ingest.healthz().at("reconciler").value("connected", false); }, 20s));
    stack.reconciler().signal(SIGSTOP);
    Thaw thaw{stack.reconciler()};
    REQUIRE(send_webhook(fakes, "plex", ingest.webhook_url("plex"), scrobble).at("status") == 202);
    REQUIRE(wait_until([&] { return ingest.healthz().value("in_flight", 0) == 1; }, 10s));  // sent, not acked
    ingest.kill();
    CHECK(db_stats(folder).at("spool").at("pending") == 1);
    ingest.restart();
    // The frozen reconciler may still hold the first copy: it sees the event twice.
    stack.reconciler().signal(SIGCONT);
  }

  REQUIRE_LOGGED(stack, wait_until([&] { return item_on(fakes, "jellyfin", item.ids.at("jellyfin")).watched; }, 30s, 100ms));
  REQUIRE_LOGGED(stack, wait_until([&] { return quiet(ingest, folder); }, 30s, 100ms));
  INFO(ingest.logs());
  CHECK(ingest.metric("ws_ingest_events_acked_total") == 1);
  CHECK(ingest.spool_failed() == 0);
  CHECK(StateDump::of(folder).watched("plex", item.ids.at("plex")));
  const auto written = writes_about(fakes, "jellyfin", item.ids.at("jellyfin"));
  INFO("jellyfin writes about the item: " << show(written));
  CHECK(written == std::multiset<std::string>{"play"});
  CHECK(writes_about(fakes, "plex", item.ids.at("plex")).empty());  // the sender is not written back
  for (const auto& problem : stack.stop()) FAIL_CHECK(problem);
}

TEST_CASE("with the reconciler down 1,000 webhooks are accepted and spooled, and all are applied when it returns",
          "[e2e][webhook][durability]") {
  const int port = ws::fake::free_port();
  // One Jellyfin server with more than 1,000 items, none played, none started.
  auto fakes = FakeSet::start({{"jellyfin", "jellyfin", {"--state-seed", "4", "--watched", "0"}}},
                              {"--catalog", "12", "--movies", "560", "--shows", "9", "--seasons", "5", "--episodes", "10"});
  DataFolder folder("webhook-thousand");
  folder.write_servers(fakes.servers());
  folder.write_config(webhook_config(kKey, port));
  Stack stack(folder, 1, 1);
  watchstate_ok(folder, {"state:import"});
  IngestProcess ingest(folder, port, kKey);
  stack.reconciler().signal(SIGTERM);
  REQUIRE(stack.reconciler().wait(10s) == 0);

  constexpr size_t kWebhooks = 1000;
  std::vector<std::string> ids;
  // Items with external ids only: one without is never in the state (unmatched, DESIGN §5).
  for (const auto& item : fake_items(fakes["jellyfin"]))
    if (ids.size() < kWebhooks && !(item.guids.empty() && item.series_guids.empty())) ids.push_back(item.id);
  REQUIRE(ids.size() == kWebhooks);
  // Item i resumes at 5 min + i s: a progress save each (Jellyfin UserDataSaved, PlaybackProgress).
  auto position = [](size_t i) { return int64_t{300'000} + static_cast<int64_t>(i) * 1000; };
  constexpr size_t kSenders = 4;
  std::vector<std::vector<std::string>> failures(kSenders);
  std::vector<std::thread> senders;
  const std::string url = ingest.webhook_url("jellyfin");
  for (size_t s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      // One keep-alive client per thread (FakeProcess is not thread-safe).
      for (size_t i = s; i < kWebhooks; i += kSenders) {
        const json act = {{"item", ids[i]}, {"action", "progress"}, {"progress_ms", position(i)}};
        const json hook = {{"url", url}, {"event", "UserDataSaved"}, {"item", ids[i]}};
        auto a = post_raw(fakes["jellyfin"].port(), "/__fake/act", act.dump(), "application/json");
        auto w = post_raw(fakes["jellyfin"].port(), "/__fake/webhook", hook.dump(), "application/json");
        const json answer = json::parse(w.body, nullptr, false);
        if (a.status != 200 || w.status != 200 || !answer.is_object() || answer.value("status", 0) != 202)
          failures[s].push_back(ids[i] + ": act " + std::to_string(a.status) + ", webhook " + w.body);
      }
    });
  }
  for (auto& t : senders) t.join();
  for (const auto& f : failures)
    for (const auto& line : f) FAIL_CHECK("not accepted: " << line);
  CHECK(ingest.spool_depth() == kWebhooks);
  CHECK(ingest.metric(R"(ws_ingest_requests_total{type="jellyfin",status="202"})") == kWebhooks);
  CHECK(db_stats(folder).at("spool").at("pending") == kWebhooks);
  {
    // None of it is in the state yet.
    const auto before = StateDump::of(folder);
    size_t with_progress = 0;
    for (const auto& id : ids) with_progress += before.progress_ms("jellyfin", id) > 0;
    CHECK(with_progress == 0);
  }

  stack.restart_reconciler();
  REQUIRE_LOGGED(stack, wait_until([&] { return ingest.spool_depth() == 0; }, 60s, 100ms));
  INFO(ingest.logs());
  CHECK(ingest.metric("ws_ingest_events_acked_total") == kWebhooks);
  CHECK(ingest.spool_failed() == 0);
  const auto after = StateDump::of(folder);
  size_t applied = 0, shown = 0;
  for (size_t i = 0; i < kWebhooks; ++i) {
    const int64_t got = after.progress_ms("jellyfin", ids[i]);
    if (got == position(i)) {
      ++applied;
    } else if (++shown <= 10) {
      FAIL_CHECK("item " << ids[i] << ": progress " << got << " in the state, " << position(i) << " sent");
    }
  }
  CHECK(applied == kWebhooks);
  for (const auto& problem : stack.stop()) FAIL_CHECK(problem);
}
