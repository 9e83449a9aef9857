// Incremental import end to end (embedded mode, fakes with the servers' change filters; DESIGN §5
// "Incremental import", docs/configuration.md): after a full import, an import asks each server
// only for what its filter reports changed, sees what that filter sees — a play on Plex, a play
// and an unmark on Emby — and nothing it does not: a Plex unmark and a Jellyfin play wait for a
// full import, and a delta forgets nothing (rule 8 needs a full import).
#include <ctime>
#include <set>

#include <catch2/catch.hpp>

#include "e2e_cli.h"
#include "e2e_fakes.h"
#include "e2e_harness.h"

namespace {

using namespace ws::e2e;
using nlohmann::json;

void act(FakeSet& fakes, const std::string& server, const std::string& id, const std::string& action) {
  json body = {{"item", id}, {"action", action}};
  if (action == "play" || action == "add") body["at"] = std::time(nullptr);
  fakes[server].post_json("/__fake/act", body);
}

const json& server_summary(const json& reply, const std::string& server) {
  return reply.at("summary").at("servers").at(server);
}

// The record's watched flag, found by an external id the Plex fake shows for the movie.
bool record_watched(const DataFolder& folder, const FakeItem& movie) {
  REQUIRE_FALSE(movie.guids.empty());
  const auto& [source, value] = *movie.guids.begin();
  const json found = watchstate_ok(folder, {"state:show", source + "://" + value});
  REQUIRE(found.is_object());
  return found.at("watched").get<bool>();
}

// Movies every server in `s` has, with external ids on `first`, watched exactly on `watched_on`
// (each group used once).
class MoviePicker {
 public:
  MoviePicker(const Snapshot& s, std::string first) : s_(s), first_(std::move(first)), groups_(match_across(s)) {}
  const ItemGroup& pick(const std::set<std::string>& watched_on) {
    for (const auto& g : groups_) {
      if (g.ids.size() != s_.size() || taken_.count(&g)) continue;
      const FakeItem& item = s_.at(first_).at(g.ids.at(first_));
      if (item.type != "movie" || item.guids.empty()) continue;
      bool fits = true;
      for (const auto& [server, id] : g.ids) fits = fits && s_.at(server).at(id).watched == (watched_on.count(server) > 0);
      if (!fits) continue;
      taken_.insert(&g);
      return g;
    }
    FAIL("no movie on every server watched on exactly the " << watched_on.size() << " given");
    throw;
  }
  const FakeItem& item(const ItemGroup& g) const { return s_.at(first_).at(g.ids.at(first_)); }

 private:
  const Snapshot& s_;
  std::string first_;
  std::vector<ItemGroup> groups_;
  std::set<const ItemGroup*> taken_;
};

}  // namespace

TEST_CASE("a delta import sees a play on Plex and a play and an unmark on Emby, and a Plex unmark waits for -f",
          "[e2e][incremental]") {
  auto fakes = FakeSet::start(three_servers(), small_catalog());
  DataFolder folder("incremental");
  folder.write_servers(fakes.servers());
  folder.write_config();
  const json first = watchstate_ok(folder, {"state:import"});
  for (const auto& server : fakes.names()) CHECK(server_summary(first, server).at("import") == "full");
  CHECK(watchstate_ok(folder, {"db:stats"}).at("servers").at("plex").at("last_import_kind") == "full");

  const Snapshot before = fakes.snapshot();
  MoviePicker movies(before, "plex");
  const ItemGroup& played_on_plex = movies.pick({});
  const ItemGroup& played_on_emby = movies.pick({});
  const ItemGroup& unmarked_on_emby = movies.pick({"emby"});
  const ItemGroup& unmarked_on_plex = movies.pick({"plex"});
  REQUIRE_FALSE(record_watched(folder, movies.item(played_on_plex)));
  REQUIRE_FALSE(record_watched(folder, movies.item(played_on_emby)));
  REQUIRE(record_watched(folder, movies.item(unmarked_on_emby)));
  REQUIRE(record_watched(folder, movies.item(unmarked_on_plex)));

  act(fakes, "plex", played_on_plex.ids.at("plex"), "play");
  act(fakes, "emby", played_on_emby.ids.at("emby"), "play");
  act(fakes, "emby", unmarked_on_emby.ids.at("emby"), "unplay");
  act(fakes, "plex", unmarked_on_plex.ids.at("plex"), "unplay");

  const json delta = watchstate_ok(folder, {"state:import"});
  INFO("delta import: " << delta.dump());
  const json& plex = server_summary(delta, "plex");
  const json& emby = server_summary(delta, "emby");
  CHECK(plex.at("import") == "delta");
  CHECK(emby.at("import") == "delta");
  CHECK(server_summary(delta, "jellyfin").at("import") == "full");  // import.jellyfin_delta is off
  // Only what each filter lists: the play on Plex (the unscrobble cleared lastViewedAt); the play
  // and the unmark on Emby.
  CHECK(plex.at("fetched") == 1);
  CHECK(emby.at("fetched") == 2);
  CHECK(record_watched(folder, movies.item(played_on_plex)));
  CHECK(record_watched(folder, movies.item(played_on_emby)));
  CHECK_FALSE(record_watched(folder, movies.item(unmarked_on_emby)));
  // The Plex unmark is in no filter: the record still says played — nothing invented either way.
  CHECK(record_watched(folder, movies.item(unmarked_on_plex)));
  const json stats = watchstate_ok(folder, {"db:stats"}).at("servers");
  CHECK(stats.at("plex").at("last_import_kind") == "delta");
  CHECK(stats.at("jellyfin").at("last_import_kind") == "full");
  CHECK(stats.at("plex").at("full_import_last_sync").get<int64_t>() <
        stats.at("plex").at("import_last_sync").get<int64_t>() + 1);

  // -f: a full import, which lists the unmarked item as it is now.
  const json full = watchstate_ok(folder, {"state:import", "-f"});
  INFO("full import: " << full.dump());
  CHECK(server_summary(full, "plex").at("import") == "full");
  CHECK(server_summary(full, "plex").at("fetched") == server_summary(first, "plex").at("fetched"));
  CHECK_FALSE(record_watched(folder, movies.item(unmarked_on_plex)));
  CHECK(watchstate_ok(folder, {"db:stats"}).at("servers").at("plex").at("last_import_kind") == "full");
}

TEST_CASE("a delta import forgets nothing a server no longer lists, and the next full import does", "[e2e][incremental]") {
  auto specs = three_servers();
  specs.pop_back();  // Plex and Jellyfin are enough
  auto fakes = FakeSet::start(specs, small_catalog());
  DataFolder folder("incremental-prune");
  folder.write_servers(fakes.servers());
  folder.write_config();
  watchstate_ok(folder, {"state:import"});
  const uint64_t records = watchstate_ok(folder, {"db:stats"}).at("servers").at("plex").at("records").get<uint64_t>();
  const Snapshot s = fakes.snapshot();
  MoviePicker movies(s, "plex");
  const ItemGroup& gone = movies.pick({});
  REQUIRE(fakes["plex"].post_json("/__fake/act", {{"item", gone.ids.at("plex")}, {"action", "remove"}}).value("removed", false));

  const json delta = watchstate_ok(folder, {"state:import"});
  INFO("delta: " << delta.dump());
  CHECK(server_summary(delta, "plex").at("import") == "delta");
  CHECK(server_summary(delta, "plex").at("pruned") == 0);
  CHECK(watchstate_ok(folder, {"db:stats"}).at("servers").at("plex").at("records") == records);

  const json full = watchstate_ok(folder, {"state:import", "-f"});
  INFO("full: " << full.dump());
  CHECK(server_summary(full, "plex").at("pruned") == 1);
  CHECK(watchstate_ok(folder, {"db:stats"}).at("servers").at("plex").at("records") == records - 1);
}

TEST_CASE("with import.jellyfin_delta a Jellyfin delta lists a new item but no play, which the next full import carries",
          "[e2e][incremental]") {
  auto specs = three_servers();
  specs.erase(specs.begin());  // Jellyfin (and Emby)
  auto fakes = FakeSet::start(specs, small_catalog());
  DataFolder folder("incremental-jellyfin");
  folder.write_servers(fakes.servers());
  folder.write_config("import:\n  jellyfin_delta: true\n");
  watchstate_ok(folder, {"state:import"});
  const Snapshot s = fakes.snapshot();
  MoviePicker movies(s, "jellyfin");
  const ItemGroup& played = movies.pick({});
  const ItemGroup& added = movies.pick({});
  act(fakes, "jellyfin", played.ids.at("jellyfin"), "play");
  act(fakes, "jellyfin", added.ids.at("jellyfin"), "add");

  const json delta = watchstate_ok(folder, {"state:import"});
  INFO("delta: " << delta.dump());
  const json& jellyfin = server_summary(delta, "jellyfin");
  CHECK(jellyfin.at("import") == "delta");
  CHECK(jellyfin.at("fetched") == 1);  // the new file; the play is not in the filter
  CHECK_FALSE(record_watched(folder, movies.item(played)));

  const json full = watchstate_ok(folder, {"state:import", "-f"});
  INFO("full: " << full.dump());
  CHECK(server_summary(full, "jellyfin").at("import") == "full");
  CHECK(record_watched(folder, movies.item(played)));
}
