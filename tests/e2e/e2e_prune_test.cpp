// Rule 8 end to end (embedded mode, three fakes): media deleted on a server. A full import that
// no longer sees an item forgets it for that server only; a record no server has any more stays,
// with its history, as an orphan; and the pruning guard refuses to forget most of a library at
// once until `state:import -f --force`.
#include <set>

#include <catch2/catch.hpp>

#include "e2e_cli.h"
#include "e2e_fakes.h"
#include "e2e_harness.h"

namespace {

using namespace ws::e2e;
using nlohmann::json;

void remove_item(const ws::fake::FakeProcess& fake, const std::string& id) {
  const json answer = fake.post_json("/__fake/act", {{"item", id}, {"action", "remove"}});
  REQUIRE(answer.value("removed", false));
}

// The record of a movie, found by the external id a fake shows for it.
json record_of(const DataFolder& folder, const FakeItem& movie) {
  REQUIRE_FALSE(movie.guids.empty());
  const auto& [source, value] = *movie.guids.begin();
  const json found = watchstate_ok(folder, {"state:show", source + "://" + value});
  REQUIRE(found.is_object());
  return found;
}

const json& server_summary(const json& reply, const std::string& server) {
  return reply.at("summary").at("servers").at(server);
}

uint64_t records_of(const DataFolder& folder, const std::string& server) {
  return watchstate_ok(folder, {"db:stats"}).at("servers").at(server).at("records").get<uint64_t>();
}

// A movie every server has, with external ids, in the given synced state.
const ItemGroup* movie_on_all(const std::vector<ItemGroup>& groups, const Snapshot& s, bool watched,
                              const std::set<const ItemGroup*>& taken = {}) {
  for (const auto& g : groups) {
    if (g.ids.size() != 3 || taken.count(&g)) continue;
    const FakeItem& plex = s.at("plex").at(g.ids.at("plex"));
    if (plex.type != "movie" || plex.guids.empty()) continue;
    bool all = true;
    for (const auto& [server, id] : g.ids) all = all && s.at(server).at(id).watched == watched;
    if (all) return &g;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("an item deleted from one server is forgotten there only, and one deleted everywhere stays as an orphan",
          "[e2e][prune]") {
  auto fakes = FakeSet::start(three_servers(), small_catalog());
  DataFolder folder("prune");
  folder.write_servers(fakes.servers());
  folder.write_config();
  // Two rounds: the catalogue's multi-episode file takes a second one to settle (issue 8 case 2,
  // rule 6's export side); after that an import and an export change nothing.
  for (int round = 0; round < 2; ++round) {
    watchstate_ok(folder, {"state:import"});
    watchstate_ok(folder, {"state:export"});
  }
  const Snapshot synced = fakes.snapshot();
  const auto groups = match_across(synced);
  const ItemGroup* watched = movie_on_all(groups, synced, true);
  const ItemGroup* unplayed = movie_on_all(groups, synced, false);
  REQUIRE(watched);
  REQUIRE(unplayed);
  INFO("watched: " << describe(*watched, synced) << "; unplayed: " << describe(*unplayed, synced));
  const FakeItem watched_movie = synced.at("plex").at(watched->ids.at("plex"));
  const FakeItem unplayed_movie = synced.at("plex").at(unplayed->ids.at("plex"));
  const json history = record_of(folder, watched_movie);
  REQUIRE(history.at("watched") == true);
  REQUIRE(history.at("metadata").contains("jellyfin"));
  const uint64_t jellyfin_records = records_of(folder, "jellyfin");

  // Deleted on Jellyfin: the next import forgets them there, and only there.
  remove_item(fakes["jellyfin"], watched->ids.at("jellyfin"));
  remove_item(fakes["jellyfin"], unplayed->ids.at("jellyfin"));
  // Pruning needs a full import (rule 8): a delta lists only what changed.
  const json imported = watchstate_ok(folder, {"state:import", "-f"});
  INFO("import: " << imported.dump());
  CHECK(server_summary(imported, "jellyfin").at("pruned") == 2);
  CHECK(server_summary(imported, "plex").at("pruned") == 0);
  CHECK(server_summary(imported, "emby").at("pruned") == 0);
  CHECK(records_of(folder, "jellyfin") == jellyfin_records - 2);
  const json pruned = record_of(folder, watched_movie);
  CHECK_FALSE(pruned.at("metadata").contains("jellyfin"));
  CHECK(pruned.at("metadata").contains("plex"));
  CHECK(pruned.at("metadata").contains("emby"));
  CHECK(pruned.at("watched") == true);
  CHECK(pruned.at("updated") == history.at("updated"));

  // The next export succeeds on all three and writes nothing; no record is an orphan.
  const auto writes = fakes.write_counts();
  const json exported = watchstate_ok(folder, {"state:export"});
  INFO("export: " << exported.dump());
  for (const auto& server : fakes.names()) {
    CHECK(server_summary(exported, server).at("errors").empty());
    CHECK(server_summary(exported, server).at("failed") == 0);
  }
  CHECK(fakes.write_counts() == writes);
  CHECK(watchstate_ok(folder, {"state:list", "--orphans"}).empty());

  // Played on Plex now: marked on Emby, and nothing is planned for the copy Jellyfin lost (it
  // would answer 404).
  fakes["plex"].post_json("/__fake/act", {{"item", unplayed->ids.at("plex")}, {"action", "play"}});
  watchstate_ok(folder, {"state:import"});
  const json pushed = watchstate_ok(folder, {"state:export"});
  INFO("export after the play: " << pushed.dump());
  CHECK(server_summary(pushed, "jellyfin").at("planned") == 0);
  CHECK(server_summary(pushed, "jellyfin").at("errors").empty());
  CHECK(server_summary(pushed, "emby").at("written") == 1);
  const auto after_play = fakes.write_counts();
  CHECK(after_play.at("jellyfin") == writes.at("jellyfin"));
  CHECK(after_play.at("emby") == writes.at("emby") + 1);
  CHECK(record_of(folder, unplayed_movie).at("watched") == true);

  // Deleted everywhere: the record stays, with its history, listed as an orphan.
  remove_item(fakes["plex"], watched->ids.at("plex"));
  remove_item(fakes["emby"], watched->ids.at("emby"));
  const json last = watchstate_ok(folder, {"state:import", "-f"});
  INFO("import: " << last.dump());
  CHECK(server_summary(last, "plex").at("pruned") == 1);
  CHECK(server_summary(last, "emby").at("pruned") == 1);
  CHECK(server_summary(last, "jellyfin").at("pruned") == 0);
  const json orphans = watchstate_ok(folder, {"state:list", "--orphans"});
  REQUIRE(orphans.size() == 1);
  CHECK(orphans.at(0).at("id") == history.at("id"));
  CHECK(orphans.at(0).at("watched") == true);
  CHECK(orphans.at(0).at("updated") == history.at("updated"));
  const json orphan = record_of(folder, watched_movie);
  CHECK(orphan.value("metadata", json::object()).empty());
  CHECK(orphan.at("guids") == history.at("guids"));
  CHECK(orphan.at("via") == history.at("via"));
  // The orphan is planned nowhere.
  const json quiet = watchstate_ok(folder, {"state:export"});
  for (const auto& server : fakes.names()) CHECK(server_summary(quiet, server).at("planned") == 0);
}

TEST_CASE("an import that would forget most of a server's library prunes nothing and says why, until -f --force",
          "[e2e][prune]") {
  auto specs = three_servers();
  specs.pop_back();  // Plex and Jellyfin are enough
  auto fakes = FakeSet::start(specs, small_catalog());
  DataFolder folder("prune-guard");
  folder.write_servers(fakes.servers());
  folder.write_config();
  watchstate_ok(folder, {"state:import"});
  const uint64_t plex_records = records_of(folder, "plex");
  const uint64_t jellyfin_records = records_of(folder, "jellyfin");

  // A library "re-created" on Plex: every movie and most episodes are gone.
  const auto items = fake_items(fakes["plex"]);
  uint64_t stored_removed = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].type == "episode" && i % 5 == 0) continue;
    remove_item(fakes["plex"], items[i].id);
    // What the state held: items with external ids (the others were never stored, only reported).
    if (!items[i].guids.empty() || !items[i].series_guids.empty()) ++stored_removed;
  }
  REQUIRE(stored_removed > plex_records / 2);

  auto refused = folder.watchstate({"state:import", "-f", "--output", "json"});
  INFO(refused.describe());
  CHECK(refused.exit_code == 1);
  const json reply = refused.json();
  const json& plex = server_summary(reply, "plex");
  CHECK(plex.at("pruned") == 0);
  const std::string why = plex.value("refused", "");
  CHECK_THAT(why, Catch::Contains("would prune " + std::to_string(stored_removed) + " of the " +
                                  std::to_string(plex_records) + " items") &&
                      Catch::Contains("watchstate state:import -s plex -f --force"));
  CHECK(server_summary(reply, "jellyfin").value("refused", "").empty());
  CHECK(records_of(folder, "plex") == plex_records);
  CHECK(records_of(folder, "jellyfin") == jellyfin_records);
  // The text summary says it too.
  auto text = folder.watchstate({"state:import", "-f"});
  CHECK(text.exit_code == 1);
  CHECK_THAT(text.out, Catch::Contains("refused: plex: the import would prune"));

  // --force is for a full import only.
  CHECK(folder.watchstate({"state:import", "--force"}).exit_code == 2);

  // A dry run says what the forced import would prune, and prunes nothing.
  const json dry = watchstate_ok(folder, {"state:import", "-f", "--force", "--dry-run"});
  CHECK(server_summary(dry, "plex").at("pruned") == stored_removed);
  CHECK(records_of(folder, "plex") == plex_records);

  const json forced = watchstate_ok(folder, {"state:import", "-f", "--force"});
  INFO(forced.dump());
  CHECK(server_summary(forced, "plex").at("pruned") == stored_removed);
  CHECK(server_summary(forced, "jellyfin").at("pruned") == 0);
  CHECK(records_of(folder, "plex") == plex_records - stored_removed);
  CHECK(records_of(folder, "jellyfin") == jellyfin_records);
  // The records stay: Jellyfin still has every one of them.
  CHECK(watchstate_ok(folder, {"state:list", "--orphans"}).empty());
  // Pruned, the next import has nothing left to refuse.
  const json again = watchstate_ok(folder, {"state:import", "-f"});
  CHECK(server_summary(again, "plex").at("pruned") == 0);
}
