// The normalized item: what a backend client or a webhook parser reports about one movie or
// episode on one server. Everything after the backend clients sees only this shape.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "ws/guids.h"

namespace ws {

enum class MediaType { movie, episode };

std::string_view to_string(MediaType type);
// "movie" / "episode" (any case); nullopt otherwise.
std::optional<MediaType> parse_media_type(std::string_view text);

// How an episode is named to a user: "S01E02". Empty when the season or the episode is unknown
// (negative), so no output ever shows "S-1E-1" or passes an unknown number off as 0.
std::string episode_label(int season, int episode);

struct MediaItem {
  std::string server;         // configured server name, e.g. "my_plex"
  std::string item_id;        // the server's own id (Plex ratingKey, Jellyfin/Emby Id)
  std::string series_id;      // the server's id of the series (episodes)
  std::string library_id;     // the server's library (section) id
  MediaType type = MediaType::movie;
  std::string title;          // movie title, or the series title for episodes
  std::string episode_title;  // episodes only
  int year = 0;               // 0 when unknown
  int season = -1;            // episodes; -1 when unknown
  int episode = -1;           // episodes; -1 when unknown
  int episode_end = -1;       // multi-episode files (S01E01-E02): the last episode, else -1
  Guids guids;                // the item's own external ids
  Guids parent;               // the series' external ids (episodes)
  std::optional<RelativeGuid> relative;  // a legacy relative id (Plex thetvdb://S/SE/EP)
  bool watched = false;
  int64_t played_at = 0;      // unix seconds, 0 when unknown / never played
  int64_t added_at = 0;       // unix seconds, 0 when unknown
  int play_count = 0;
  int64_t progress_ms = 0;    // resume position
  std::string path;           // file path on the server

  bool operator==(const MediaItem&) const = default;
};

void to_json(nlohmann::json& j, const MediaItem& item);
void from_json(const nlohmann::json& j, MediaItem& item);

}  // namespace ws
