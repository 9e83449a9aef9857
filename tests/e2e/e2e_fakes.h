// A set of ws-fakeserver processes (one per server of a test) and what the end-to-end tests read
// back from them: each server's items and writes (`/__fake/items`, `/__fake/writes`), and which
// items on different servers are the same movie or episode, found by external ids the way a
// person would (not through watchstate's own matching, which is what is under test).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "e2e_harness.h"
#include "fake_process.h"

namespace ws::e2e {

// One item as a fake server reports it on /__fake/items.
struct FakeItem {
  std::string id;
  std::string type;  // movie | episode
  std::string title;
  int season = 0;
  int episode = 0;
  int episode_end = 0;  // a multi-episode file's last episode; 0 otherwise
  std::map<std::string, std::string> guids;         // the ids this server shows
  std::map<std::string, std::string> series_guids;  // episodes
  bool watched = false;
  int64_t played_at = 0;  // 0: none
  int64_t added_at = 0;
};

// server name -> item id -> item.
using Snapshot = std::map<std::string, std::map<std::string, FakeItem>>;

// One movie or episode across servers: server name -> that server's item id.
struct ItemGroup {
  std::string label;  // a title for failure messages
  std::map<std::string, std::string> ids;
};

struct FakeSpec {
  std::string name;  // the server's name in servers.yaml
  std::string type;  // plex | jellyfin | emby
  std::vector<std::string> args;  // extra ws-fakeserver flags (--state-seed, --latency-ms, ...)
};

class FakeSet {
 public:
  // Starts one fake per spec, each with `common_args` (catalogue and sizes) then its own args.
  static FakeSet start(const std::vector<FakeSpec>& specs, const std::vector<std::string>& common_args);

  const std::vector<std::string>& names() const { return names_; }
  ws::fake::FakeProcess& operator[](const std::string& name) { return fakes_.at(name); }
  const ws::fake::FakeProcess& operator[](const std::string& name) const { return fakes_.at(name); }
  std::vector<ServerEntry> servers() const;

  Snapshot snapshot() const;
  std::map<std::string, size_t> write_counts() const;

 private:
  std::vector<std::string> names_;
  std::map<std::string, std::string> users_;
  std::map<std::string, ws::fake::FakeProcess> fakes_;
};

// A write a fake recorded, as (action, item id): action play | unplay | progress, or
// "METHOD PATH" for anything else.
struct FakeWrite {
  std::string action;
  std::string item;
  bool operator<(const FakeWrite& o) const { return std::tie(action, item) < std::tie(o.action, o.item); }
  bool operator==(const FakeWrite& o) const { return action == o.action && item == o.item; }
};
std::vector<FakeWrite> parse_writes(const std::string& type, const nlohmann::json& writes);

std::vector<FakeItem> fake_items(const ws::fake::FakeProcess& fake);
nlohmann::json fake_writes(const ws::fake::FakeProcess& fake);

// Groups the items of every server that share an external id (movies by their ids, episodes by
// their own ids or by their series' ids with season and episode). Items with no external id, and
// groups that would hold two items of one server, are left out; so is an item only one server has,
// and a file covering several episodes (rule 6 keeps it apart while its episodes disagree).
std::vector<ItemGroup> match_across(const Snapshot& snapshot);

// The catalogue every end-to-end test uses: small, so the suite stays fast (under ASan too), yet
// with items without ids, legacy Plex agents and a multi-episode file.
std::vector<std::string> small_catalog();
// A Plex, a Jellyfin and an Emby fake named "plex", "jellyfin", "emby", each with its own
// --state-seed (1, 2, 3) and 30 % watched, plus `extra` (e.g. --server-id) per type.
std::vector<FakeSpec> three_servers(const std::map<std::string, std::vector<std::string>>& extra = {});

// "title [server=watched, ...]" for failure messages.
std::string describe(const ItemGroup& group, const Snapshot& snapshot);

// Groups whose items do not all have the same watched flag in `snapshot`.
std::vector<std::string> disagreements(const std::vector<ItemGroup>& groups, const Snapshot& snapshot);

}  // namespace ws::e2e
