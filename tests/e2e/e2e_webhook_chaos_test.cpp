// Kill -9 at random points of a mixed load (issue 9, "Done when"): the reconciler, an exporter
// and ingest are killed with SIGKILL and started again during an import, an export and a stream of
// webhooks (with Jellyfin's and Emby's echoes of our writes). Then no accepted webhook may be
// missing from the state, no write may reach a server twice (/__fake/writes), and the final state
// (watched flag and progress of every record) and every server's items must equal a clean run of
// the same load. The seed is printed; WS_E2E_SEED=N replays its choices (the load, the victims and
// the moments; the interleaving with the processes is the machine's).
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <random>
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
  // The load's import and export, enqueued while the reconciler runs. A CLI that found none would
  // run the pipeline itself and take the state's writer lock (the restarted reconciler then
  // refuses to start: an ASan run killed the reconciler before a CLI's probe), so the kills wait
  // until both said they enqueued.
  auto importing = folder.spawn(watchstate_binary(), {"state:import", "--output", "json", "-v"}, "load-import");
  auto exporting = folder.spawn(watchstate_binary(), {"state:export", "--output", "json", "-v"}, "load-export");
  for (auto* p : {&importing, &exporting}) {
    const std::string said = "enqueued " + std::string(p == &importing ? "import" : "export") + " at the reconciler";
    REQUIRE(wait_until([&] { return p->err().find(said) != std::string::npos || !p->running(); }, 30s));
    INFO(p->tail());
    REQUIRE(p->err().find(said) != std::string::npos);
  }

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
