// Webhooks end to end, what must never happen (issue 9, "Done when"): a shared user's Plex play
// marking the owner's history; a refused webhook (bad key, no key, bad type, malformed, too large)
// reaching the spool or the state; an accepted webhook lost or applied twice when ingest or the
// reconciler dies. Black box: the real ws-ingest, ws-reconciler, ws-fetcher and ws-exporter
// binaries against ws-fakeserver processes sending their servers' real webhook shapes; what is
// checked is what a user or an operator sees — the fakes' items and writes, `watchstate
// state:backup` and `db:stats`, ingest's /healthz and /metrics.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e_cli.h"
#include "e2e_fakes.h"
#include "e2e_harness.h"
#include "e2e_ingest.h"
#include "e2e_stack.h"

namespace {

using namespace ws::e2e;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kKey = "e2e-webhook-key-0123456789";

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

json db_stats(const DataFolder& folder) { return watchstate_ok(folder, {"db:stats"}); }

// Nothing waits anywhere: ingest's spool is empty and the reconciler's outbox too.
bool quiet(const IngestProcess& ingest, const DataFolder& folder) {
  return ingest.spool_depth() == 0 && ingest.healthz().value("in_flight", 1) == 0 &&
         db_stats(folder).value("outbox", 1) == 0;
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

// ---- Kill -9 at random points during a mixed load, against a clean run of the same load ----

namespace {

// One webhook of the load: a person acts on `sender` (play, unplay, or stops at `progress_ms`),
// and the server sends its webhook about it.
struct LoadStep {
  std::string group;  // the item's label, for messages
  std::map<std::string, std::string> ids;
  std::string sender;
  std::string action;  // play | unplay | progress
  int64_t progress_ms = 0;
};

// The load, chosen by `seed` from the fakes' first state: items all servers agree on (so the
// load's export, which writes what servers disagree on, never races a webhook about the same
// item), each used once.
struct Load {
  std::vector<std::map<std::string, std::string>> manual_plays;  // on Plex, no webhook: the import's part
  std::vector<LoadStep> steps;
};

Load choose_load(const Snapshot& snapshot, std::mt19937_64& rng) {
  std::vector<ItemGroup> unplayed, played;
  for (const auto& g : match_across(snapshot)) {
    if (g.ids.size() != 3) continue;
    size_t watched = 0;
    for (const auto& [server, id] : g.ids) watched += snapshot.at(server).at(id).watched;
    if (watched == 0) unplayed.push_back(g);
    if (watched == 3) played.push_back(g);
  }
  std::shuffle(unplayed.begin(), unplayed.end(), rng);
  std::shuffle(played.begin(), played.end(), rng);
  Load load;
  const std::vector<std::string> senders = {"plex", "jellyfin", "emby"};
  size_t next = 0;
  for (; next < 3 && next < unplayed.size(); ++next) load.manual_plays.push_back(unplayed[next].ids);
  for (int k = 0; next < unplayed.size() && k < 36; ++next, ++k) {
    LoadStep s{unplayed[next].label, unplayed[next].ids, senders[rng() % 3], rng() % 2 ? "play" : "progress", 0};
    if (s.action == "progress") s.progress_ms = 300'000 + 7'000 * k;  // under 10 minutes: never 90 % in
    load.steps.push_back(std::move(s));
  }
  // An unplay or two (the export guard allows 10 % of a server's played items).
  for (size_t i = 0; i < played.size() && i < 2; ++i)
    load.steps.push_back({played[i].label, played[i].ids, rng() % 2 ? "jellyfin" : "emby", "unplay", 0});
  std::shuffle(load.steps.begin(), load.steps.end(), rng);
  return load;
}

// What the server sends for the step, after the person's act.
json webhook_of(const LoadStep& s) {
  const std::string& id = s.ids.at(s.sender);
  if (s.sender == "plex") return {{"item", id}, {"event", s.action == "play" ? "media.scrobble" : "media.stop"}};
  if (s.sender == "jellyfin") return {{"item", id}, {"event", "UserDataSaved"}};
  if (s.action == "unplay") return {{"item", id}, {"event", "item.markunplayed"}};
  return {{"item", id}, {"event", "playback.stop"}};
}

struct RunOutcome {
  std::map<std::string, std::string> state;                  // StateDump::flags_and_progress()
  std::map<std::string, std::string> servers;                // "server/id" -> "watched=W progress=MS"
  std::map<std::string, std::vector<FakeWrite>> writes;      // per server, in order
  std::vector<std::string> lost;                             // steps whose webhook is not in the state
  std::vector<std::string> problems;                         // processes that misbehaved
  size_t kills = 0;
  size_t steps = 0;  // webhooks sent
  std::string kill_log;  // each kill and what was under way
};

std::vector<std::string> duplicates(const std::vector<FakeWrite>& writes) {
  std::map<FakeWrite, int> seen;
  std::vector<std::string> out;
  for (const auto& w : writes)
    if (++seen[w] == 2) out.push_back(w.action + " " + w.item);
  return out;
}

// Runs the load against fresh fakes and a fresh stack. With `chaos`, a thread kills the
// reconciler, an exporter and ingest with SIGKILL at random moments during it and starts each
// again; whatever the load's import or export then did not finish is run again, as a user would.
RunOutcome run_load(uint64_t seed, bool chaos) {
  std::mt19937_64 rng(seed);
  const int port = ws::fake::free_port();
  const std::string hook_url = "http://127.0.0.1:" + std::to_string(port) + "/?apikey=" + std::string(kKey) + "&type=";
  // Fixed server ids: the two runs' fakes have the same item ids. Jellyfin and Emby echo our
  // writes back as webhooks, as the real servers do. 25 ms per server answer and pages of 10
  // items: the import and the export last long enough for the kills to land in them.
  auto catalog = small_catalog();
  catalog.insert(catalog.end(), {"--latency-ms", "25"});
  auto fakes = FakeSet::start(
      three_servers({{"plex", {"--server-id", "c4a05000000000000000000000000000000000f1", "--webhook-url", hook_url + "plex"}},
                     {"jellyfin", {"--server-id", "c4a050000000000000000000000000f2", "--webhook-url",
                                   hook_url + "jellyfin", "--echo-webhooks"}},
                     {"emby", {"--server-id", "c4a050000000000000000000000000f3", "--webhook-url", hook_url + "emby",
                               "--echo-webhooks"}}}),
      catalog);
  DataFolder folder(chaos ? "webhook-chaos" : "webhook-clean");
  folder.write_servers(fakes.servers());
  folder.write_config(webhook_config(kKey, port) + "page_size: 10\n");
  Stack stack(folder, 1, 0);
  std::vector<Process> exporters;
  for (const std::string name : {"exporter-1", "exporter-2"})
    exporters.push_back(folder.spawn(exporter_binary(), {"--name", name, "-vv"}, name));
  watchstate_ok(folder, {"state:import"});
  IngestProcess ingest(folder, port, kKey);
  REQUIRE(wait_until([&] { return ingest.healthz().at("reconciler").value("connected", false); }, 20s));

  const Load load = choose_load(fakes.snapshot(), rng);
  REQUIRE(load.steps.size() >= 20);
  for (const auto& ids : load.manual_plays)
    fakes["plex"].post_json("/__fake/act", {{"item", ids.at("plex")}, {"action", "play"}});

  RunOutcome outcome;
  outcome.steps = load.steps.size();
  // The load's import and export, enqueued while the reconciler runs (a CLI that found none would
  // run the pipeline itself, on the reconciler's state).
  auto importing = folder.spawn(watchstate_binary(), {"state:import", "--output", "json"}, "load-import");
  auto exporting = folder.spawn(watchstate_binary(), {"state:export", "--output", "json"}, "load-export");

  std::vector<std::string> chaos_errors;
  std::thread chaos_thread;
  if (chaos) {
    // The victims in a seeded order, each at least once, at seeded moments 50-500 ms apart.
    std::vector<std::string> victims = {"reconciler", "exporter", "ingest", "reconciler", "exporter", "ingest"};
    std::shuffle(victims.begin(), victims.end(), rng);
    std::vector<int> delays;
    for (size_t i = 0; i < victims.size(); ++i) delays.push_back(50 + static_cast<int>(rng() % 450));
    chaos_thread = std::thread([&, victims, delays] {
      const auto start = std::chrono::steady_clock::now();
      try {
        for (size_t i = 0; i < victims.size(); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(delays[i]));  // the random point
          // What was under way, for the log: the load's CLI runs, and ingest's unacked events.
          json health;
          try {
            health = ingest.healthz();
          } catch (const std::exception&) {
          }
          outcome.kill_log += victims[i] + " at " +
                              std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::steady_clock::now() - start).count()) +
                              " ms (import " + (importing.running() ? "running" : "done") + ", export " +
                              (exporting.running() ? "running" : "done") + ", ingest in flight " +
                              (health.is_object() ? health.value("in_flight", json(0)).dump() : "?") + "); ";
          if (victims[i] == "reconciler") {
            stack.reconciler().signal(SIGKILL);
            stack.reconciler().wait(10s);
            stack.restart_reconciler();
          } else if (victims[i] == "exporter") {
            exporters[0].signal(SIGKILL);
            exporters[0].wait(10s);
            exporters[0] = folder.spawn(exporter_binary(), {"--name", "exporter-1", "-vv"},
                                        "exporter-1-" + std::to_string(i));
          } else {
            ingest.kill();
            ingest.restart();
          }
          ++outcome.kills;
        }
      } catch (const std::exception& e) {
        chaos_errors.push_back(e.what());
      }
    });
  }

  // The webhooks, at seeded intervals of 20-150 ms (the same in both runs), each sent until
  // ingest takes it (a sender retries while ingest is down).
  std::mt19937_64 pace(seed + 1);
  std::vector<std::string> refused;
  for (const auto& step : load.steps) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + pace() % 130));
    json act = {{"item", step.ids.at(step.sender)}, {"action", step.action}};
    if (step.action == "progress") act["progress_ms"] = step.progress_ms;
    fakes[step.sender].post_json("/__fake/act", act);
    json hook = webhook_of(step);
    hook["url"] = hook_url + step.sender;
    const bool taken = wait_until(
        [&] {
          try {
            return fakes[step.sender].post_json("/__fake/webhook", hook).value("status", 0) == 202;
          } catch (const std::exception&) {
            return false;  // the fake answers 502 while nothing listens on ingest's port
          }
        },
        30s, 50ms);
    if (!taken) refused.push_back(step.group + " from " + step.sender);
  }
  if (chaos_thread.joinable()) chaos_thread.join();
  for (const auto& e : chaos_errors) FAIL("restarting a killed process failed: " << e);
  for (const auto& r : refused) FAIL_CHECK("ingest never took the webhook about " << r);

  // The load's import and export end (they fail when their reconciler was killed); then both run
  // once more on the restarted stack, in the clean run too: the same sequence for both.
  for (auto* p : {&importing, &exporting}) {
    // In the chaos run a CLI whose reconciler was killed waits for a reply that never comes.
    const auto status = p->wait(chaos ? 3s : 90s);
    if (!chaos && status != 0) outcome.problems.push_back(p->name() + " exited " + (status ? std::to_string(*status) : "late") + "\n" + p->tail());
    p->stop();
  }
  REQUIRE_LOGGED(stack, wait_until([&] { return quiet(ingest, folder); }, 60s, 100ms));
  CHECK(ingest.spool_failed() == 0);
  CHECK(db_stats(folder).at("spool").at("failed") == 0);
  {
    // Every accepted webhook is in the state (checked before the next import could bring in
    // what the servers hold).
    const auto state = StateDump::of(folder);
    for (const auto& step : load.steps) {
      const std::string& id = step.ids.at(step.sender);
      const bool ok = step.action == "play"     ? state.watched(step.sender, id)
                      : step.action == "unplay" ? !state.watched(step.sender, id)
                                                : state.progress_ms(step.sender, id) == step.progress_ms;
      if (!ok) outcome.lost.push_back(step.action + " of " + step.group + " from " + step.sender);
    }
  }
  watchstate_ok(folder, {"state:import"});
  watchstate_ok(folder, {"state:export"});
  REQUIRE_LOGGED(stack, wait_until([&] { return quiet(ingest, folder); }, 60s, 100ms));

  outcome.state = StateDump::of(folder).flags_and_progress();
  for (const auto& server : fakes.names()) {
    for (const auto& item : fake_items(fakes[server]))
      outcome.servers[server + "/" + item.id] = std::string("watched=") + (item.watched ? "1" : "0");
    for (const auto& j : fakes[server].get_json("/__fake/items"))
      outcome.servers[server + "/" + j.at("id").get<std::string>()] += " progress=" + std::to_string(j.value("progress_ms", int64_t{0}));
    outcome.writes[server] = parse_writes(fakes[server].type(), fake_writes(fakes[server]));
  }
  for (auto& p : stack.stop()) outcome.problems.push_back(std::move(p));
  for (auto& e : exporters) {
    e.signal(SIGTERM);
    if (e.wait(10s) != 0) outcome.problems.push_back(e.name() + " did not stop cleanly\n" + e.tail());
  }
  return outcome;
}

uint64_t chaos_seed() {
  if (const char* s = std::getenv("WS_E2E_SEED"); s && *s) return std::strtoull(s, nullptr, 10);
  return std::random_device{}() * uint64_t{0x9E3779B97F4A7C15} ^ std::random_device{}();
}

}  // namespace

TEST_CASE("SIGKILL of the reconciler, an exporter and ingest during an import, an export and webhooks loses no webhook, writes nothing twice and ends as a clean run",
          "[e2e][webhook][durability][chaos]") {
  const uint64_t seed = chaos_seed();
  std::cout << "webhook chaos seed " << seed << " (replay: WS_E2E_SEED=" << seed << ")" << std::endl;
  INFO("seed " << seed << " (replay with WS_E2E_SEED=" << seed << ")");

  const RunOutcome clean = run_load(seed, false);
  const RunOutcome chaos = run_load(seed, true);
  size_t clean_writes = 0, chaos_writes = 0;
  for (const auto& [server, w] : clean.writes) clean_writes += w.size();
  for (const auto& [server, w] : chaos.writes) chaos_writes += w.size();
  std::cout << "webhook chaos: " << clean.steps << " webhooks; " << chaos.kills << " processes killed; writes "
            << clean_writes << " clean, " << chaos_writes << " chaos; " << clean.state.size() << " records" << std::endl;
  std::cout << "webhook chaos kills: " << chaos.kill_log << std::endl;
  INFO("processes killed in the chaos run: " << chaos.kills << ": " << chaos.kill_log);
  CHECK(clean.steps >= 20);
  CHECK(chaos.kills >= 3);
  for (const auto& p : clean.problems) FAIL_CHECK("clean run: " << p);
  for (const auto& p : chaos.problems) FAIL_CHECK("chaos run: " << p);
  for (const auto& l : clean.lost) FAIL_CHECK("clean run: a webhook not in the state: " << l);
  for (const auto& l : chaos.lost) FAIL_CHECK("chaos run: a webhook not in the state: " << l);
  for (const auto& [server, writes] : chaos.writes) {
    const auto twice = duplicates(writes);
    const auto clean_twice = duplicates(clean.writes.at(server));
    for (const auto& d : twice)
      if (std::find(clean_twice.begin(), clean_twice.end(), d) == clean_twice.end())
        FAIL_CHECK("chaos run: written twice to " << server << ": " << d);
    for (const auto& d : clean_twice) WARN("clean run: written twice to " << server << ": " << d);
  }
  // The final state, record by record, and every server's items.
  for (const auto& [key, value] : clean.state) {
    auto it = chaos.state.find(key);
    if (it == chaos.state.end()) FAIL_CHECK("only the clean run has the record " << key << " " << value);
    else if (it->second != value) FAIL_CHECK("record " << key << ": clean " << value << ", chaos " << it->second);
  }
  for (const auto& [key, value] : chaos.state)
    if (!clean.state.count(key)) FAIL_CHECK("only the chaos run has the record " << key << " " << value);
  CHECK(clean.servers == chaos.servers);
}
