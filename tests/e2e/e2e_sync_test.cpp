// End to end in embedded mode: `watchstate state:import` / `state:export` with no reconciler
// running (the CLI runs the pipeline as threads) against a Plex, a Jellyfin and an Emby fake
// that share one catalogue but start with different watch states.
#include <ctime>
#include <set>

#include <catch2/catch.hpp>

#include "e2e_cli.h"
#include "e2e_fakes.h"
#include "e2e_cli.h"
#include "e2e_harness.h"

namespace {

using namespace ws::e2e;
using nlohmann::json;

// A data folder whose servers.yaml names the fakes and whose endpoints nobody listens on, so the
// CLI runs embedded.
void configure(const DataFolder& folder, const FakeSet& fakes) {
  folder.write_servers(fakes.servers());
  folder.write_config();
}

void import_and_export(const DataFolder& folder) {
  watchstate_ok(folder, {"state:import"});
  watchstate_ok(folder, {"state:export"});
}

bool any_watched(const ItemGroup& g, const Snapshot& s) {
  for (const auto& [server, id] : g.ids)
    if (s.at(server).at(id).watched) return true;
  return false;
}

}  // namespace

TEST_CASE("import then export leaves a Plex, a Jellyfin and an Emby server with one watched set, and a second export writes nothing",
          "[e2e]") {
  auto fakes = FakeSet::start(three_servers(), small_catalog());
  DataFolder folder("sync");
  configure(folder, fakes);
  const Snapshot before = fakes.snapshot();
  const auto groups = match_across(before);
  // The catalogue is the same everywhere: most items are matched on all three servers, and the
  // seeds differ, so the servers disagree before the sync.
  REQUIRE(groups.size() > 100);
  REQUIRE(disagreements(groups, before).size() > 20);

  import_and_export(folder);
  const Snapshot after = fakes.snapshot();

  for (const auto& d : disagreements(groups, after)) FAIL_CHECK("still disagrees after the sync: " << d);
  // Played is news (rule 1): what any server had played is played everywhere; nothing else is.
  for (const auto& g : groups) {
    INFO(describe(g, before) << " -> " << describe(g, after));
    for (const auto& [server, id] : g.ids) CHECK(after.at(server).at(id).watched == any_watched(g, before));
  }
  // Jellyfin and Emby take a played date: it is one that a server had, not the time of the export.
  size_t carried = 0;
  for (const auto& g : groups) {
    std::set<int64_t> known_dates;
    for (const auto& [server, id] : g.ids) {
      const auto& item = before.at(server).at(id);
      if (item.watched) known_dates.insert(item.played_at);
    }
    for (const auto& [server, id] : g.ids) {
      if (server == "plex" || before.at(server).at(id).watched || !after.at(server).at(id).watched) continue;
      INFO(server << ": " << describe(g, before) << " -> " << describe(g, after));
      CHECK(known_dates.count(after.at(server).at(id).played_at) == 1);
      ++carried;
    }
  }
  CHECK(carried > 20);

  const auto writes = fakes.write_counts();
  for (const auto& [server, n] : writes) CHECK(n > 0);
  const json second = watchstate_ok(folder, {"state:export"});
  INFO("second export: " << second.dump());
  CHECK(fakes.write_counts() == writes);
  for (const auto& [server, s] : second.at("summary").at("servers").items()) CHECK(s.at("planned") == 0);
}

TEST_CASE("an unmark on the server that had it played spreads everywhere, while a newly added copy unmarks nothing",
          "[e2e]") {
  auto fakes = FakeSet::start(three_servers(), small_catalog());
  DataFolder folder("rules");
  configure(folder, fakes);
  const Snapshot initial = fakes.snapshot();
  const auto groups = match_across(initial);
  import_and_export(folder);
  const Snapshot synced = fakes.snapshot();
  REQUIRE(disagreements(groups, synced).empty());

  // Played on Plex only before the sync (so Jellyfin and Emby hold the date the export gave
  // them, and Plex is "the server that had it played"), on all three servers now.
  const ItemGroup* unmarked = nullptr;
  const ItemGroup* re_added = nullptr;
  for (const auto& g : groups) {
    if (g.ids.size() != 3 || !synced.at("plex").at(g.ids.at("plex")).watched) continue;
    const bool plex_only = !initial.at("jellyfin").at(g.ids.at("jellyfin")).watched &&
                           !initial.at("emby").at(g.ids.at("emby")).watched;
    if (plex_only && !unmarked) {
      unmarked = &g;
    } else if (!re_added && g.ids.size() == 3) {
      re_added = &g;
    }
  }
  REQUIRE(unmarked);
  REQUIRE(re_added);
  INFO("unmarked on plex: " << describe(*unmarked, synced) << "; added anew on jellyfin: " << describe(*re_added, synced));

  fakes["plex"].post_json("/__fake/act", {{"item", unmarked->ids.at("plex")}, {"action", "unplay"}});
  fakes["jellyfin"].post_json("/__fake/act",
                              {{"item", re_added->ids.at("jellyfin")}, {"action", "add"}, {"at", std::time(nullptr)}});
  const Snapshot acted = fakes.snapshot();
  REQUIRE_FALSE(acted.at("plex").at(unmarked->ids.at("plex")).watched);
  REQUIRE_FALSE(acted.at("jellyfin").at(re_added->ids.at("jellyfin")).watched);

  // A Plex unmark is in no change filter (docs/configuration.md "Incremental import"): a full
  // import (or a webhook) carries it.
  watchstate_ok(folder, {"state:import", "-f"});
  watchstate_ok(folder, {"state:export"});
  const Snapshot after = fakes.snapshot();
  INFO("after: " << describe(*unmarked, after) << "; " << describe(*re_added, after));
  for (const auto& [server, id] : unmarked->ids) CHECK_FALSE(after.at(server).at(id).watched);
  // Rule 2: the new file's "unplayed" is not an unmark: still played elsewhere, and played again
  // on Jellyfin by the export.
  for (const auto& [server, id] : re_added->ids) CHECK(after.at(server).at(id).watched);
  for (const auto& d : disagreements(groups, after)) FAIL_CHECK("disagrees after the second sync: " << d);
}

TEST_CASE("media a server shows only after its first export is marked played by the next push export", "[e2e]") {
  // Jellyfin's movie library is ignored at first, as if its films were added later.
  auto specs = three_servers();
  specs.pop_back();  // Plex and Jellyfin are enough
  auto fakes = FakeSet::start(specs, small_catalog());
  DataFolder folder("new-media");
  auto servers = fakes.servers();
  servers.at(1).ignore = fakes["jellyfin"].get_json("/__fake/info").at("libraries").at("movies").get<std::string>();
  folder.write_servers(servers);
  folder.write_config();
  import_and_export(folder);
  const Snapshot first = fakes.snapshot();
  const auto groups = match_across(first);
  size_t movies_apart = 0;
  for (const auto& g : groups) {
    const auto& item = first.at("jellyfin").at(g.ids.at("jellyfin"));
    if (item.type == "movie" && first.at("plex").at(g.ids.at("plex")).watched && !item.watched) ++movies_apart;
  }
  REQUIRE(movies_apart > 5);  // the ignored library was left alone

  servers.at(1).ignore.clear();
  folder.write_servers(servers);
  watchstate_ok(folder, {"state:import"});
  const json push = watchstate_ok(folder, {"state:export"});  // push mode: both were exported once
  INFO("export: " << push.dump());
  const Snapshot after = fakes.snapshot();
  for (const auto& d : disagreements(groups, after)) FAIL_CHECK("disagrees after the push export: " << d);
  CHECK(push.at("summary").at("servers").at("jellyfin").at("written").get<size_t>() >= movies_apart);
}
