// Export correctness end to end (issue 8), with the real binaries and fake servers: a
// multi-episode file is written only when its episodes agree (rule 6); a write a server ignores
// is seen by reading it back, never spread as an unmark, and given up after export.max_ignored
// tries; an unplay waiting in the outbox does not erase a re-watch (rule 9); a dry run shows the
// plan the real run makes.
#include <algorithm>
#include <ctime>
#include <set>

#include <catch2/catch.hpp>

#include "e2e_fakes.h"
#include "e2e_cli.h"
#include "e2e_harness.h"
#include "e2e_stack.h"

namespace {

using namespace ws::e2e;
using namespace std::chrono_literals;
using nlohmann::json;

const json& server_summary(const json& reply, const std::string& server) {
  return reply.at("summary").at("servers").at(server);
}

FakeItem item_on(const FakeSet& fakes, const std::string& server, const std::string& id) {
  for (const auto& item : fake_items(fakes[server]))
    if (item.id == id) return item;
  FAIL("no item " << id << " on " << server);
  throw std::logic_error("unreachable");
}

bool share_a_guid(const std::map<std::string, std::string>& a, const std::map<std::string, std::string>& b) {
  for (const auto& [source, value] : a)
    if (auto it = b.find(source); it != b.end() && it->second == value) return true;
  return false;
}

void act(FakeSet& fakes, const std::string& server, const std::string& id, const std::string& action) {
  json body = {{"item", id}, {"action", action}};
  if (action == "play") body["at"] = std::time(nullptr);
  fakes[server].post_json("/__fake/act", body);
}

// One line per planned write or mixed file, without what differs between two runs (the time of
// planning, record ids): what a person reading both plans compares.
std::vector<std::string> plan_lines(const json& reply) {
  std::vector<std::string> lines;
  for (const auto& a : reply.at("summary").value("plan", json::array())) {
    std::string line = a.value("server", "") + " " + a.value("action", "") + " " +
                       a.at("item").value("item_id", "") + " played_at=" +
                       std::to_string(a.value("played_at", int64_t{0})) +
                       " progress=" + std::to_string(a.value("progress_ms", int64_t{0}));
    if (a.value("refused", false)) line += " refused";
    lines.push_back(std::move(line));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace

TEST_CASE("a multi-episode file is marked played only when both its episodes are, and unplayed only when both are",
          "[e2e][export]") {
  // The same catalogue nobody has watched: Jellyfin lists the two-episode file as two files,
  // Emby as one item covering E01-E02.
  auto fakes = FakeSet::start({{"split", "jellyfin", {"--state-seed", "1", "--watched", "0", "--split-multi-episode"}},
                               {"joined", "emby", {"--state-seed", "2", "--watched", "0"}}},
                              small_catalog());
  DataFolder folder("multi-episode");
  folder.write_servers(fakes.servers());
  folder.write_config();

  FakeItem file;
  for (const auto& item : fake_items(fakes["joined"]))
    if (item.episode_end == 2) file = item;
  REQUIRE_FALSE(file.id.empty());
  std::string e01, e02;
  for (const auto& item : fake_items(fakes["split"])) {
    if (item.type != "episode" || item.season != file.season || !share_a_guid(item.series_guids, file.series_guids)) continue;
    if (item.episode == 1) e01 = item.id;
    if (item.episode == 2) e02 = item.id;
  }
  REQUIRE_FALSE(e01.empty());
  REQUIRE_FALSE(e02.empty());
  INFO("the file " << file.id << " on joined; E01 " << e01 << " and E02 " << e02 << " on split");

  watchstate_ok(folder, {"state:import"});
  watchstate_ok(folder, {"state:export"});
  REQUIRE(fakes.write_counts() == (std::map<std::string, size_t>{{"split", 0}, {"joined", 0}}));

  auto sync = [&] {
    watchstate_ok(folder, {"state:import"});
    return watchstate_ok(folder, {"state:export"});
  };
  auto mixed_of = [](const json& reply) {
    size_t n = 0;
    for (const auto& a : reply.at("summary").value("plan", json::array())) n += a.value("action", "") == "mixed";
    return n;
  };

  act(fakes, "split", e01, "play");
  json exported = sync();
  INFO("export: " << exported.dump());
  CHECK_FALSE(item_on(fakes, "joined", file.id).watched);  // E02 is not played: the file stays unplayed
  CHECK_FALSE(item_on(fakes, "split", e02).watched);       // and E01's play did not spread to E02
  CHECK(server_summary(exported, "joined").at("mixed") == 1);
  CHECK(mixed_of(exported) == 1);
  CHECK(fakes.write_counts().at("joined") == 0);

  act(fakes, "split", e02, "play");
  exported = sync();
  CHECK(item_on(fakes, "joined", file.id).watched);  // both played: the file is marked played
  CHECK(mixed_of(exported) == 0);
  CHECK(fakes.write_counts().at("joined") == 1);
  // The next import reads the file played on joined: nothing new anywhere.
  exported = sync();
  CHECK(server_summary(exported, "split").at("planned") == 0);
  CHECK(server_summary(exported, "joined").at("planned") == 0);

  // The same with unplays: one part unmarked leaves the file played; both unmark it.
  act(fakes, "split", e01, "unplay");
  exported = sync();
  CHECK(item_on(fakes, "joined", file.id).watched);
  CHECK(item_on(fakes, "split", e02).watched);
  CHECK_FALSE(item_on(fakes, "split", e01).watched);
  CHECK(server_summary(exported, "joined").at("mixed") == 1);
  act(fakes, "split", e02, "unplay");
  exported = sync();
  CHECK_FALSE(item_on(fakes, "joined", file.id).watched);
  CHECK(fakes.write_counts().at("joined") == 2);
  exported = sync();  // and it stays so: the file's unmark is no news for split
  CHECK_FALSE(item_on(fakes, "split", e01).watched);
  CHECK_FALSE(item_on(fakes, "split", e02).watched);
}

TEST_CASE("a write the server ignores is read back, unmarks nothing, and is given up after export.max_ignored exports",
          "[e2e][export]") {
  auto specs = three_servers();
  specs.pop_back();  // Plex and Jellyfin
  auto fakes = FakeSet::start(specs, small_catalog());
  DataFolder folder("ignored");
  folder.write_servers(fakes.servers());
  folder.write_config();
  const Snapshot before = fakes.snapshot();
  const auto groups = match_across(before);
  // A film played on Plex only: the export will mark it played on Jellyfin, which ignores it.
  const ItemGroup* film = nullptr;
  for (const auto& g : groups) {
    const auto& plex = before.at("plex").at(g.ids.at("plex"));
    if (plex.type == "movie" && plex.watched && !before.at("jellyfin").at(g.ids.at("jellyfin")).watched) {
      film = &g;
      break;
    }
  }
  REQUIRE(film);
  const std::string ignoring = film->ids.at("jellyfin");
  INFO(describe(*film, before));
  fakes["jellyfin"].post_json("/__fake/act", {{"item", ignoring}, {"action", "ignore_writes"}});

  watchstate_ok(folder, {"state:import"});
  json exported = watchstate_ok(folder, {"state:export"});
  INFO("first export: " << exported.dump());
  CHECK(server_summary(exported, "jellyfin").at("failed") == 0);  // it "succeeded"
  CHECK(server_summary(exported, "jellyfin").at("ignored") == 1);  // but the read-back says otherwise
  CHECK_FALSE(item_on(fakes, "jellyfin", ignoring).watched);
  for (const auto& d : disagreements(groups, fakes.snapshot()))
    if (d.find(film->label) == std::string::npos) FAIL_CHECK("disagrees after the sync: " << d);

  // Jellyfin reports it unplayed, with the id and added date it had: not an unmark (rule 2),
  // since its metadata holds what it showed, not what was sent.
  for (int retry = 2; retry <= 3; ++retry) {
    INFO("export " << retry);
    watchstate_ok(folder, {"state:import"});
    exported = watchstate_ok(folder, {"state:export"});
    CHECK(item_on(fakes, "plex", film->ids.at("plex")).watched);
    CHECK(server_summary(exported, "jellyfin").at("ignored") == 1);  // tried again
    CHECK(server_summary(exported, "plex").at("planned") == 0);
  }
  for (const auto& server : fakes.names())
    for (const auto& w : parse_writes(fakes[server].type(), fake_writes(fakes[server])))
      CHECK(w.action != "unplay");

  // Given up: no longer planned, and reported.
  watchstate_ok(folder, {"state:import"});
  exported = watchstate_ok(folder, {"state:export"});
  CHECK(server_summary(exported, "jellyfin").at("planned") == 0);
  CHECK(server_summary(exported, "jellyfin").at("given_up") == 1);
  const json stats = watchstate_ok(folder, {"db:stats"});
  CHECK(stats.at("servers").at("jellyfin").at("writes_given_up") == 1);
  const json unmatched = watchstate_ok(folder, {"state:unmatched", "-s", "jellyfin"});
  bool listed = false;
  for (const auto& u : unmatched)
    listed = listed || (u.value("kind", "") == "ignored_writes" && u.at("item").value("item_id", "") == ignoring);
  CHECK(listed);
  CHECK(item_on(fakes, "plex", film->ids.at("plex")).watched);

  // -f tries again; once the server keeps the write it is done.
  fakes["jellyfin"].post_json("/__fake/act", {{"item", ignoring}, {"action", "accept_writes"}});
  exported = watchstate_ok(folder, {"state:export", "-f"});
  CHECK(item_on(fakes, "jellyfin", ignoring).watched);
  CHECK(watchstate_ok(folder, {"db:stats"}).at("servers").at("jellyfin").at("ignored_writes") == 0);
}

TEST_CASE("an unplay that waited for an exporter does not erase a re-watch, which then spreads", "[e2e][export]") {
  auto specs = three_servers();
  specs.pop_back();  // Plex and Jellyfin
  auto fakes = FakeSet::start(specs, small_catalog());
  DataFolder folder("rewatch");
  folder.write_servers(fakes.servers());
  // The export job must wait for the exporter started late, not time out.
  folder.write_config("jobs:\n  queue_timeout: 5m\n");
  Stack stack(folder, 1, 1);
  watchstate_ok(folder, {"state:import"});
  watchstate_ok(folder, {"state:export"});
  const Snapshot synced = fakes.snapshot();
  const auto groups = match_across(synced);
  REQUIRE(disagreements(groups, synced).empty());
  const ItemGroup* film = nullptr;
  for (const auto& g : groups)
    if (synced.at("plex").at(g.ids.at("plex")).type == "movie" && synced.at("plex").at(g.ids.at("plex")).watched) film = &g;
  REQUIRE(film);
  INFO(describe(*film, synced));

  // No exporter from here on: the unplay is planned and waits in the outbox.
  stack.exporter(0).stop();
  act(fakes, "plex", film->ids.at("plex"), "unplay");
  watchstate_ok(folder, {"state:import", "-f"});  // a Plex unmark is in no delta: a full import sees it
  const int64_t unmarked_by = std::time(nullptr);  // the state's unmark is at or before this
  auto exporting = folder.spawn(watchstate_binary(), {"state:export", "--output", "json"}, "export");
  REQUIRE_LOGGED(stack, wait_until([&] { return watchstate_ok(folder, {"db:stats"}).at("outbox") == 1; }, 30s, 100ms));

  // Jellyfin plays it again after the unmark.
  REQUIRE(wait_until([&] { return std::time(nullptr) > unmarked_by; }, 5s));
  act(fakes, "jellyfin", film->ids.at("jellyfin"), "play");
  auto exporter = folder.spawn(exporter_binary(), {"--name", "late-exporter", "-vv"}, "late-exporter");
  const auto exit = exporting.wait(60s);
  INFO(exporting.tail() << exporter.tail());
  REQUIRE(exit == 0);
  const json reply = json::parse(exporting.out());
  CHECK(server_summary(reply, "jellyfin").at("skipped") == 1);
  CHECK(server_summary(reply, "jellyfin").at("written") == 0);
  CHECK(item_on(fakes, "jellyfin", film->ids.at("jellyfin")).watched);  // kept played

  // The re-watch is news for the next import (rule 1): played everywhere again.
  watchstate_ok(folder, {"state:import"});
  watchstate_ok(folder, {"state:export"});
  CHECK(item_on(fakes, "plex", film->ids.at("plex")).watched);
  CHECK(item_on(fakes, "jellyfin", film->ids.at("jellyfin")).watched);
  exporter.stop();
  for (const auto& problem : stack.stop()) FAIL_CHECK(problem);
}

TEST_CASE("a dry run of a first export shows the plan the real export then makes, refused ones marked",
          "[e2e][export]") {
  auto fakes = FakeSet::start(three_servers(), small_catalog());
  DataFolder folder("dry-run");
  folder.write_servers(fakes.servers());
  folder.write_config();

  // A first export pulls every library first: the dry run must plan from what that pull brings.
  const json dry = watchstate_ok(folder, {"state:export", "--dry-run"});
  const auto dry_lines = plan_lines(dry);
  REQUIRE(dry_lines.size() > 20);
  CHECK(fakes.write_counts() == (std::map<std::string, size_t>{{"plex", 0}, {"jellyfin", 0}, {"emby", 0}}));
  CHECK(watchstate_ok(folder, {"db:stats"}).at("records") == 0);  // nothing was kept
  const json real = watchstate_ok(folder, {"state:export"});
  const auto real_lines = plan_lines(real);
  REQUIRE(real_lines.size() == dry_lines.size());
  for (size_t i = 0; i < dry_lines.size(); ++i) CHECK(dry_lines[i] == real_lines[i]);

  SECTION("a plan the guard refuses is listed, each action marked refused") {
    // Unmark 15 films on Plex that every server has played now: over 10 % of what is played.
    const Snapshot synced = fakes.snapshot();
    size_t unmarked = 0;
    for (const auto& g : match_across(synced)) {
      if (g.ids.size() != 3 || synced.at("plex").at(g.ids.at("plex")).type != "movie") continue;
      if (!synced.at("plex").at(g.ids.at("plex")).watched) continue;
      act(fakes, "plex", g.ids.at("plex"), "unplay");
      if (++unmarked == 15) break;
    }
    REQUIRE(unmarked == 15);
    watchstate_ok(folder, {"state:import"});
    auto r = folder.watchstate({"state:export", "--dry-run", "--output", "json"});
    INFO(r.describe());
    CHECK(r.exit_code == 1);  // the real run would be refused
    const json refused = r.json();
    size_t marked = 0;
    for (const auto& line : plan_lines(refused)) marked += line.find(" unplay ") != std::string::npos &&
                                                           line.find("refused") != std::string::npos;
    CHECK(marked == 30);  // 15 on Jellyfin, 15 on Emby
    CHECK_THAT(server_summary(refused, "jellyfin").at("refused").get<std::string>(),
               Catch::Contains("15 of") && Catch::Contains("--force"));
  }
}

TEST_CASE("an export that finds an item gone drops that server's copy and still succeeds", "[e2e][export]") {
  auto specs = three_servers();
  specs.pop_back();  // Plex and Jellyfin
  auto fakes = FakeSet::start(specs, small_catalog());
  DataFolder folder("gone");
  folder.write_servers(fakes.servers());
  folder.write_config();
  const Snapshot before = fakes.snapshot();
  const auto groups = match_across(before);
  const ItemGroup* film = nullptr;
  for (const auto& g : groups) {
    const auto& plex = before.at("plex").at(g.ids.at("plex"));
    if (plex.type == "movie" && plex.watched && !before.at("jellyfin").at(g.ids.at("jellyfin")).watched) film = &g;
  }
  REQUIRE(film);
  watchstate_ok(folder, {"state:import"});
  // Deleted on Jellyfin after the import, before the export that would mark it played there.
  fakes["jellyfin"].post_json("/__fake/act", {{"item", film->ids.at("jellyfin")}, {"action", "remove"}});

  const json exported = watchstate_ok(folder, {"state:export"});  // exit 0: gone is no failure
  INFO(exported.dump());
  CHECK(server_summary(exported, "jellyfin").at("gone") == 1);
  CHECK(server_summary(exported, "jellyfin").at("failed") == 0);
  CHECK(watchstate_ok(folder, {"db:stats"}).at("servers").at("jellyfin").at("export_last_sync").get<int64_t>() > 0);
  // Its lastSync moved and its copy is forgotten: the next export plans nothing for it.
  const json again = watchstate_ok(folder, {"state:export", "-s", "jellyfin"});
  CHECK(server_summary(again, "jellyfin").at("planned") == 0);
  CHECK(item_on(fakes, "plex", film->ids.at("plex")).watched);
}
