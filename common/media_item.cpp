#include "ws/media_item.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "ws/json_fields.h"
#include "ws/text.h"

namespace ws {

std::string_view to_string(MediaType type) { return type == MediaType::movie ? "movie" : "episode"; }

std::optional<MediaType> parse_media_type(std::string_view text) {
  const std::string t = ascii_lower(text);
  if (t == "movie") return MediaType::movie;
  if (t == "episode") return MediaType::episode;
  return std::nullopt;
}

std::string episode_label(int season, int episode) {
  if (season < 0 || episode < 0) return {};
  char buf[32];
  std::snprintf(buf, sizeof buf, "S%02dE%02d", season, episode);
  return buf;
}

void to_json(nlohmann::json& j, const MediaItem& item) {
  using json_fields::put;
  j = nlohmann::json::object();
  put(j, "server", item.server);
  put(j, "item_id", item.item_id);
  put(j, "series_id", item.series_id);
  put(j, "library_id", item.library_id);
  j["type"] = to_string(item.type);
  put(j, "title", item.title);
  put(j, "episode_title", item.episode_title);
  put(j, "year", item.year);
  put(j, "season", item.season, -1);
  put(j, "episode", item.episode, -1);
  put(j, "episode_end", item.episode_end, -1);
  put(j, "guids", item.guids);
  put(j, "parent", item.parent);
  if (item.relative) {
    j["relative"] = {{"source", item.relative->source},
                     {"series_id", item.relative->series_id},
                     {"season", item.relative->season},
                     {"episode", item.relative->episode}};
  }
  j["watched"] = item.watched;
  put(j, "played_at", item.played_at);
  put(j, "added_at", item.added_at);
  put(j, "play_count", item.play_count);
  put(j, "progress_ms", item.progress_ms);
  put(j, "path", item.path);
}

void from_json(const nlohmann::json& j, MediaItem& item) {
  using json_fields::get;
  item = MediaItem{};
  get(j, "server", item.server);
  get(j, "item_id", item.item_id);
  get(j, "series_id", item.series_id);
  get(j, "library_id", item.library_id);
  std::string type;
  get(j, "type", type);
  auto parsed = parse_media_type(type);
  if (!parsed) throw nlohmann::json::other_error::create(501, "item type '" + type + "' is not movie or episode", &j);
  item.type = *parsed;
  get(j, "title", item.title);
  get(j, "episode_title", item.episode_title);
  get(j, "year", item.year);
  get(j, "season", item.season);
  get(j, "episode", item.episode);
  get(j, "episode_end", item.episode_end);
  get(j, "guids", item.guids);
  get(j, "parent", item.parent);
  if (auto it = j.find("relative"); it != j.end() && it->is_object()) {
    RelativeGuid rel;
    get(*it, "source", rel.source);
    get(*it, "series_id", rel.series_id);
    get(*it, "season", rel.season);
    get(*it, "episode", rel.episode);
    item.relative = std::move(rel);
  }
  get(j, "watched", item.watched);
  get(j, "played_at", item.played_at);
  get(j, "added_at", item.added_at);
  get(j, "play_count", item.play_count);
  get(j, "progress_ms", item.progress_ms);
  get(j, "path", item.path);
}

}  // namespace ws
