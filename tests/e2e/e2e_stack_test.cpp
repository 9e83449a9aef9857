// End to end with the multi-process stack: ws-reconciler, ws-fetcher and ws-exporter as their
// own processes on tcp loopback endpoints; `watchstate` finds the reconciler through
// endpoints.control and enqueues. Processes are killed with SIGKILL mid-work.
#include <csignal>
#include <fstream>
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "e2e_cli.h"
#include "e2e_fakes.h"
#include "e2e_cli.h"
#include "e2e_harness.h"
#include "e2e_stack.h"

namespace {

using namespace ws::e2e;
using namespace std::chrono_literals;
using nlohmann::json;

json db_stats(const DataFolder& folder) { return watchstate_ok(folder, {"db:stats"}); }

// What the state holds for `server`: the item ids in its records' metadata.
std::set<std::string> state_item_ids(const DataFolder& folder, const std::string& server) {
  const auto file = folder.root() / "backup.json";
  watchstate_ok(folder, {"state:backup", file.string()});
  std::ifstream in(file);
  const json backup = json::parse(in);
  std::set<std::string> ids;
  for (const auto& record : backup.at("records")) {
    auto meta = record.find("metadata");
    if (meta == record.end()) continue;
    if (auto m = meta->find(server); m != meta->end()) ids.insert(m->at("item_id").get<std::string>());
  }
  return ids;
}

// The writes a dry run plans, per server, as (action, item id). The parts of a multi-episode
// file are records of their own but one item on the server: one write serves them all (the
// exporter reads the item first).
std::map<std::string, std::set<FakeWrite>> dry_run_plan(const DataFolder& folder) {
  const json reply = watchstate_ok(folder, {"state:export", "--dry-run"});
  std::map<std::string, std::set<FakeWrite>> plan;
  for (const auto& a : reply.at("summary").value("plan", json::array())) {
    if (a.at("action") == "mixed") continue;  // a multi-episode file left as it is: no write
    plan[a.at("server").get<std::string>()].insert(
        {a.at("action").get<std::string>(), a.at("item").at("item_id").get<std::string>()});
  }
  return plan;
}

template <typename Writes>
std::string show(const Writes& writes) {
  std::string out;
  for (const auto& w : writes) out += w.action + ":" + w.item + " ";
  return out;
}

}  // namespace

TEST_CASE("two fetchers share an import, and when one is killed mid-import the import still completes with every item",
          "[e2e]") {
  auto args = small_catalog();
  args[3] = "240";  // --movies: enough pages that the import runs for a few seconds
  auto fakes = FakeSet::start({{"plex", "plex", {"--state-seed", "1", "--watched", "30", "--latency-ms", "60"}}}, args);
  DataFolder folder("fetchers");
  folder.write_servers(fakes.servers());
  folder.write_config("page_size: 10\n");  // fetch jobs of 4 pages of 10 items
  Stack stack(folder, 1, 0);
  auto& victim = stack.fetcher(0);

  auto import = folder.spawn(watchstate_binary(), {"state:import", "--output", "json"}, "import");
  auto plex_stats = [&] { return fakes["plex"].get_json("/__fake/stats"); };
  // Once the victim has planned the import and fetched some pages, the next request to the
  // server hangs: the victim, the only fetcher yet, is then certainly inside one of its jobs.
  REQUIRE_LOGGED(stack, wait_until([&] { return plex_stats().at("requests").get<int>() >= 12 && jobs_finished(victim) >= 1; },
                                   30s, 20ms));
  fakes["plex"].post_json("/__fake/fail", {{"fail", "hang:1"}, {"requests", 1}});
  REQUIRE_LOGGED(stack, wait_until([&] { return plex_stats().at("faults").value("hang", 0) >= 1; }, 30s, 20ms));
  REQUIRE_LOGGED(stack, jobs_started(victim) == jobs_finished(victim) + 1);
  const std::string lost_job = last_job_started(victim);
  // A second fetcher shares the rest of the import; then the victim dies inside its job.
  auto& survivor = stack.add_fetcher();
  REQUIRE(import.running());
  victim.signal(SIGKILL);
  REQUIRE(victim.wait(5s) == 128 + SIGKILL);

  const auto status = import.wait(90s);
  INFO(import.tail());
  REQUIRE_LOGGED(stack, status == 0);
  const json reply = json::parse(import.out());
  const json& plex = reply.at("summary").at("servers").at("plex");
  CHECK(plex.at("errors").empty());
  // The survivor ran the job the victim died with, as its second attempt.
  INFO("the victim died running job " << lost_job << "\n" << survivor.tail());
  CHECK(jobs_finished(survivor) >= 1);
  CHECK(attempts_started(survivor, lost_job) == std::vector<int>{2});

  // Nothing missing: every item of the server that has an external id is in the state, and the
  // state has one record per movie and per episode of the catalogue (a multi-episode file is one
  // record per episode, rule 6).
  const auto items = fake_items(fakes["plex"]);
  CHECK(plex.at("total") == items.size());
  const auto in_state = state_item_ids(folder, "plex");
  size_t with_ids = 0, expected_records = 0, without_ids = 0;
  for (const auto& item : items) {
    if (item.guids.empty() && item.series_guids.empty()) {
      ++without_ids;
      continue;
    }
    ++with_ids;
    expected_records += item.episode_end > item.episode ? item.episode_end - item.episode + 1 : 1;
    INFO("plex item " << item.id << " " << item.title);
    CHECK(in_state.count(item.id) == 1);
  }
  CHECK(with_ids > 250);
  // (Not the summary's count: a re-run job's batches are counted again.)
  CHECK(watchstate_ok(folder, {"state:unmatched"}).size() == without_ids);
  const json stats = db_stats(folder);
  CHECK(stats.at("records") == expected_records);
  CHECK(stats.at("servers").at("plex").at("records") == expected_records);
  CHECK(watchstate_ok(folder, {"state:list", "--limit", "0"}).size() == expected_records);
  for (const auto& problem : stack.stop()) FAIL_CHECK(problem);
}

TEST_CASE("the reconciler killed mid-export and restarted does every planned write exactly once", "[e2e]") {
  auto specs = three_servers({{"jellyfin", {"--latency-ms", "100"}}});
  specs.pop_back();  // Plex and Jellyfin are enough
  auto fakes = FakeSet::start(specs, small_catalog());
  DataFolder folder("crash");
  folder.write_servers(fakes.servers());
  folder.write_config("export:\n  concurrency: 2\n");
  Stack stack(folder, 1, 1);

  watchstate_ok(folder, {"state:import"});
  const auto plan = dry_run_plan(folder);
  REQUIRE(plan.count("jellyfin"));
  const size_t planned = plan.at("jellyfin").size();
  REQUIRE(planned > 10);
  REQUIRE(fakes.write_counts() == (std::map<std::string, size_t>{{"plex", 0}, {"jellyfin", 0}}));

  auto exporting = folder.spawn(watchstate_binary(), {"state:export", "--output", "json"}, "export");
  REQUIRE_LOGGED(stack, wait_until([&] { return fakes.write_counts().at("jellyfin") >= 5; }, 30s, 20ms));
  stack.reconciler().signal(SIGKILL);
  REQUIRE(stack.reconciler().wait(5s) == 128 + SIGKILL);
  const size_t written_before_crash = fakes.write_counts().at("jellyfin");
  INFO("jellyfin writes when the reconciler was killed: " << written_before_crash << " of " << planned);
  REQUIRE(written_before_crash < planned);
  exporting.stop();  // its reconciler is gone; the restarted one resumes the outbox on its own
  CHECK(db_stats(folder).at("outbox").get<int>() > 0);

  stack.restart_reconciler();
  json stats;
  const bool drained = wait_until(
      [&] {
        stats = db_stats(folder);
        return stats.at("outbox") == 0;
      },
      60s, 200ms);
  INFO("db:stats: " << stats.dump());
  REQUIRE_LOGGED(stack, drained);

  for (const auto& server : fakes.names()) {
    const auto writes = parse_writes(fakes[server].type(), fake_writes(fakes[server]));
    const std::multiset<FakeWrite> done(writes.begin(), writes.end());
    // The parts of a multi-episode file are two records but one server item: one write (rule 6),
    // so planned writes count once per item and action.
    std::set<FakeWrite> unique;
    if (plan.count(server)) unique.insert(plan.at(server).begin(), plan.at(server).end());
    const std::multiset<FakeWrite> expected(unique.begin(), unique.end());
    INFO(server << " planned: " << show(expected) << "\nwritten: " << show(done));
    CHECK(done == expected);  // each planned write once: none missing, none twice
  }
  const Snapshot after = fakes.snapshot();
  for (const auto& d : disagreements(match_across(after), after)) FAIL_CHECK("disagrees after the export: " << d);
  for (const auto& problem : stack.stop()) FAIL_CHECK(problem);
}

TEST_CASE("embedded mode and the multi-process stack leave the servers in the same state", "[e2e]") {
  // Fixed server ids: both sets of fakes then have the same item ids.
  const std::map<std::string, std::vector<std::string>> ids = {
      {"plex", {"--server-id", "e2e5000000000000000000000000000000000001"}},
      {"jellyfin", {"--server-id", "e2e50000000000000000000000000002"}},
      {"emby", {"--server-id", "e2e50000000000000000000000000003"}}};
  auto embedded_fakes = FakeSet::start(three_servers(ids), small_catalog());
  auto stack_fakes = FakeSet::start(three_servers(ids), small_catalog());
  DataFolder embedded("embedded");
  embedded.write_servers(embedded_fakes.servers());
  embedded.write_config();
  DataFolder multi("multi");
  multi.write_servers(stack_fakes.servers());
  multi.write_config();

  // Embedded mode pulls the three servers side by side by default, the stack with three
  // fetchers: each applies the servers' batches in its own order, and the end must not depend
  // on it (reconciler/import_order_test.cpp has the rules' side).
  watchstate_ok(embedded, {"state:import"});
  watchstate_ok(embedded, {"state:export"});
  {
    Stack stack(multi, 3, 1);
    watchstate_ok(multi, {"state:import"});
    watchstate_ok(multi, {"state:export"});
    for (const auto& problem : stack.stop()) FAIL_CHECK(problem);
  }

  const Snapshot a = embedded_fakes.snapshot();
  const Snapshot b = stack_fakes.snapshot();
  size_t compared = 0;
  for (const auto& server : embedded_fakes.names()) {
    REQUIRE(a.at(server).size() == b.at(server).size());
    for (const auto& [id, item] : a.at(server)) {
      REQUIRE(b.at(server).count(id) == 1);
      const auto& other = b.at(server).at(id);
      INFO(server << " " << id << " " << item.title << ": embedded " << item.watched << "@" << item.played_at
                  << ", stack " << other.watched << "@" << other.played_at);
      CHECK(item.watched == other.watched);
      // Plex dates a write itself (the time of the export); Jellyfin and Emby take ours.
      if (server != "plex") CHECK(item.played_at == other.played_at);
      ++compared;
    }
  }
  CHECK(compared > 300);
  const auto writes = embedded_fakes.write_counts();
  CHECK(writes.at("jellyfin") > 0);
}
