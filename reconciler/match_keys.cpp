#include "ws/match_keys.h"

#include <algorithm>

namespace ws {
namespace {

// Spelled here, not through to_string(MediaType): these strings are stored on disk as keys, so a
// change in a display name must not silently orphan every pointer.
const char* key_type(MediaType type) { return type == MediaType::episode ? "episode" : "movie"; }

void add_unique(std::vector<std::string>& keys, std::string key) {
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
}

std::string relative_key(const std::string& source, const std::string& series_id, int season, int episode) {
  return "rguid_" + source + "://" + series_id + "/" + std::to_string(season) + "/" + std::to_string(episode);
}

}  // namespace

std::string backend_key(const std::string& server, const std::string& item_id) {
  if (server.empty() || item_id.empty()) return {};
  return server + "/" + item_id;
}

std::string backend_key(const MediaItem& item) {
  std::string key = backend_key(item.server, item.item_id);
  if (!key.empty() && item.episode_end != -1) key += "/E" + std::to_string(item.episode);
  return key;
}

namespace {

std::string key_of(const Record& record, const std::string& server, const ServerMeta& meta) {
  std::string key = backend_key(server, meta.item_id);
  if (!key.empty() && meta.episode_end != -1) key += "/E" + std::to_string(record.episode);
  return key;
}

}  // namespace

std::vector<std::string> backend_keys(const Record& record) {
  std::vector<std::string> keys;
  for (const auto& [server, meta] : record.metadata) {
    std::string key = key_of(record, server, meta);
    if (!key.empty()) add_unique(keys, std::move(key));
  }
  return keys;
}

std::string backend_key(const Record& record, const std::string& server) {
  auto it = record.metadata.find(server);
  return it == record.metadata.end() ? std::string() : key_of(record, server, it->second);
}

std::vector<std::string> guid_keys(const Guids& guids, MediaType type) {
  std::vector<std::string> keys;
  for (const auto& [source, value] : guids) {
    if (source.empty() || value.empty()) continue;
    keys.push_back("guid_" + source + "://" + value + "/" + key_type(type));
  }
  return keys;
}

std::vector<std::string> relative_keys(const Guids& parent, int season, int episode,
                                       const std::optional<RelativeGuid>& relative) {
  std::vector<std::string> keys;
  if (season >= 0 && episode >= 0) {
    for (const auto& [source, series_id] : parent) {
      if (source.empty() || series_id.empty()) continue;
      add_unique(keys, relative_key(source, series_id, season, episode));
    }
  }
  // A legacy relative guid carries its own position: it is a relative key as it stands.
  if (relative && !relative->source.empty() && !relative->series_id.empty() && relative->season >= 0 &&
      relative->episode >= 0) {
    add_unique(keys, relative_key(relative->source, relative->series_id, relative->season, relative->episode));
  }
  return keys;
}

std::vector<std::string> match_keys(const MediaItem& item) {
  std::vector<std::string> keys;
  if (item.type == MediaType::episode) keys = relative_keys(item.parent, item.season, item.episode, item.relative);
  for (auto& key : guid_keys(item.guids, item.type)) add_unique(keys, std::move(key));
  return keys;
}

std::vector<std::string> match_keys(const Record& record) {
  std::vector<std::string> keys;
  if (record.type == MediaType::episode) keys = relative_keys(record.parent, record.season, record.episode);
  for (auto& key : guid_keys(record.guids, record.type)) add_unique(keys, std::move(key));
  return keys;
}

bool has_external_keys(const MediaItem& item) { return !match_keys(item).empty(); }

}  // namespace ws
