#include "e2e_fakes.h"

#include <numeric>
#include <sstream>

namespace ws::e2e {
namespace {

using nlohmann::json;

int int_or_zero(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}

int64_t int64_or_zero(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::map<std::string, std::string> string_map(const json& j, const char* key) {
  std::map<std::string, std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items()) {
    if (v.is_string() && !v.get<std::string>().empty()) out[k] = v.get<std::string>();
  }
  return out;
}

// Union-find over item indexes.
struct Sets {
  std::vector<size_t> parent;
  explicit Sets(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), size_t{0}); }
  size_t find(size_t i) { return parent[i] == i ? i : parent[i] = find(parent[i]); }
  void join(size_t a, size_t b) { parent[find(a)] = find(b); }
};

// The keys under which two servers' items are the same thing.
std::vector<std::string> keys_of(const FakeItem& item) {
  std::vector<std::string> keys;
  for (const auto& [source, value] : item.guids) keys.push_back(item.type + "/" + source + ":" + value);
  if (item.type == "episode") {
    for (const auto& [source, value] : item.series_guids) {
      keys.push_back("relative/" + source + ":" + value + "/" + std::to_string(item.season) + "/" +
                     std::to_string(item.episode));
    }
  }
  return keys;
}

}  // namespace

FakeSet FakeSet::start(const std::vector<FakeSpec>& specs, const std::vector<std::string>& common_args) {
  FakeSet set;
  for (const auto& spec : specs) {
    std::vector<std::string> args = common_args;
    args.insert(args.end(), spec.args.begin(), spec.args.end());
    auto fake = ws::fake::FakeProcess::start(spec.type, args);
    set.users_[spec.name] = spec.type == "plex" ? "" : fake.get_json("/__fake/info").at("user_id").get<std::string>();
    set.names_.push_back(spec.name);
    set.fakes_.emplace(spec.name, std::move(fake));
  }
  return set;
}

std::vector<ServerEntry> FakeSet::servers() const {
  std::vector<ServerEntry> out;
  for (const auto& name : names_) {
    const auto& f = fakes_.at(name);
    out.push_back({name, f.type(), f.url(), f.token(), users_.at(name), ""});
  }
  return out;
}

Snapshot FakeSet::snapshot() const {
  Snapshot out;
  for (const auto& name : names_) {
    auto& items = out[name];
    for (auto& item : fake_items(fakes_.at(name))) items[item.id] = std::move(item);
  }
  return out;
}

std::map<std::string, size_t> FakeSet::write_counts() const {
  std::map<std::string, size_t> out;
  for (const auto& name : names_) out[name] = fake_writes(fakes_.at(name)).size();
  return out;
}

std::vector<std::string> small_catalog() {
  return {"--catalog", "11", "--movies", "60", "--shows", "6", "--seasons", "2", "--episodes", "6"};
}

std::vector<FakeSpec> three_servers(const std::map<std::string, std::vector<std::string>>& extra) {
  std::vector<FakeSpec> specs;
  int seed = 0;
  for (const std::string type : {"plex", "jellyfin", "emby"}) {
    FakeSpec spec{type, type, {"--state-seed", std::to_string(++seed), "--watched", "30"}};
    if (auto it = extra.find(type); it != extra.end()) spec.args.insert(spec.args.end(), it->second.begin(), it->second.end());
    specs.push_back(std::move(spec));
  }
  return specs;
}

std::vector<FakeItem> fake_items(const ws::fake::FakeProcess& fake) {
  std::vector<FakeItem> out;
  for (const auto& j : fake.get_json("/__fake/items")) {
    FakeItem item;
    item.id = j.at("id").get<std::string>();
    item.type = j.at("type").get<std::string>();
    item.title = j.value("title", "");
    item.season = int_or_zero(j, "season");
    item.episode = int_or_zero(j, "episode");
    item.episode_end = int_or_zero(j, "episode_end");
    item.guids = string_map(j, "guids");
    item.series_guids = string_map(j, "series_guids");
    item.watched = j.value("watched", false);
    item.played_at = int64_or_zero(j, "played_at");
    item.added_at = int64_or_zero(j, "added_at");
    out.push_back(std::move(item));
  }
  return out;
}

std::vector<FakeWrite> parse_writes(const std::string& type, const nlohmann::json& writes) {
  std::vector<FakeWrite> out;
  for (const auto& w : writes) {
    const std::string method = w.value("method", "");
    const std::string path = w.value("path", "");
    const json query = w.value("query", json::object());
    FakeWrite fw{method + " " + path, ""};
    if (type == "plex") {
      // /:/scrobble?key=ID, /:/unscrobble?key=ID, /:/timeline?ratingKey=ID
      if (path == "/:/scrobble") fw = {"play", query.value("key", "")};
      if (path == "/:/unscrobble") fw = {"unplay", query.value("key", "")};
      if (path == "/:/timeline") fw = {"progress", query.value("ratingKey", "")};
    } else {
      // [/emby]/UserPlayedItems/ID or /Users/UID/PlayedItems/ID (POST play, DELETE unplay);
      // /UserItems/ID/UserData or /Users/UID/Items/ID/UserData (progress).
      std::vector<std::string> parts;
      std::istringstream in(path);
      for (std::string p; std::getline(in, p, '/');)
        if (!p.empty()) parts.push_back(p);
      for (size_t i = 0; i + 1 < parts.size(); ++i) {
        std::string lower = parts[i];
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "userplayeditems" || lower == "playeditems") {
          fw = {method == "DELETE" ? "unplay" : "play", parts[i + 1]};
        } else if ((lower == "useritems" || lower == "items") && i + 2 < parts.size() && parts[i + 2] == "UserData") {
          fw = {"progress", parts[i + 1]};
        }
      }
    }
    out.push_back(std::move(fw));
  }
  return out;
}

nlohmann::json fake_writes(const ws::fake::FakeProcess& fake) { return fake.get_json("/__fake/writes"); }

std::vector<ItemGroup> match_across(const Snapshot& snapshot) {
  std::vector<std::pair<std::string, const FakeItem*>> all;
  for (const auto& [server, items] : snapshot)
    for (const auto& [id, item] : items)
      if (item.episode_end == 0) all.emplace_back(server, &item);
  Sets sets(all.size());
  std::map<std::string, size_t> first_with_key;
  for (size_t i = 0; i < all.size(); ++i) {
    for (const auto& key : keys_of(*all[i].second)) {
      auto [it, inserted] = first_with_key.emplace(key, i);
      if (!inserted) sets.join(i, it->second);
    }
  }
  std::map<size_t, std::vector<size_t>> members;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!keys_of(*all[i].second).empty()) members[sets.find(i)].push_back(i);
  }
  std::vector<ItemGroup> groups;
  for (const auto& [root, list] : members) {
    ItemGroup g;
    bool ambiguous = false;
    for (size_t i : list) {
      const auto& [server, item] = all[i];
      ambiguous |= !g.ids.emplace(server, item->id).second;
      if (g.label.empty()) {
        g.label = item->title;
        if (item->type == "episode") g.label += " S" + std::to_string(item->season) + "E" + std::to_string(item->episode);
      }
    }
    if (!ambiguous && g.ids.size() >= 2) groups.push_back(std::move(g));
  }
  return groups;
}

std::string describe(const ItemGroup& group, const Snapshot& snapshot) {
  std::ostringstream s;
  s << group.label << " [";
  bool first = true;
  for (const auto& [server, id] : group.ids) {
    const auto& item = snapshot.at(server).at(id);
    s << (first ? "" : ", ") << server << " " << id << "=" << (item.watched ? "watched" : "unwatched");
    if (item.played_at) s << "@" << item.played_at;
    first = false;
  }
  s << "]";
  return s.str();
}

std::vector<std::string> disagreements(const std::vector<ItemGroup>& groups, const Snapshot& snapshot) {
  std::vector<std::string> out;
  for (const auto& g : groups) {
    bool any = false, all = true;
    for (const auto& [server, id] : g.ids) {
      const bool w = snapshot.at(server).at(id).watched;
      any |= w;
      all &= w;
    }
    if (any && !all) out.push_back(describe(g, snapshot));
  }
  return out;
}

}  // namespace ws::e2e
