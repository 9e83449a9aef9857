// The generated library of a fake server: movies, series, seasons and episodes, built once at
// start-up from --catalog and never changed (the mutable part, watch state, is FakeState).
//
// What is the same on every fake given one seed, whatever its type or server id: the list of
// movies and series, titles, years, external ids, episode numbering, added dates, durations, and
// the order of entries (so an entry's `index` names the same media everywhere). What differs:
// the server's own ids (`id`: Plex ratingKey, Jellyfin 32 lowercase hex, Emby numeric string),
// file paths, and which external ids the server can show (only Emby shows TVmaze).
//
// Real-library oddities, chosen by index so small catalogues have them too:
//   movie i % 97 == 13: no external ids at all;   i % 20 == 3: Plex legacy imdb agent (imdb only);
//   i % 20 == 11: Plex legacy themoviedb agent (tmdb only);
//   show s % 97 == 50: no ids; s % 10 == 3: Plex legacy thetvdb agent (tvdb only);
//   s % 10 == 7: HAMA anidb show (anidb only); s % 4 == 0: also a TVmaze id;
//   s % 25 == 1 (with --episodes >= 2): season 1 starts with a two-episode file E01-E02 (see
//   MultiEpisodeShape for how each server lists it);
//   about 1 episode in 5 has no ids of its own (only its series'); every 8th title is non-ASCII.
// Thread safety: immutable after build(); any thread may read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fake_options.h"

namespace ws::fake {

// External ids; 0 means absent. imdb is the number of "tt%07u".
struct ExternalIds {
  uint32_t imdb = 0;
  uint32_t tmdb = 0;
  uint32_t tvdb = 0;
  uint32_t tvmaze = 0;
  uint32_t anidb = 0;
  bool empty() const { return !imdb && !tmdb && !tvdb && !tvmaze && !anidb; }
};
std::string imdb_string(uint32_t imdb);  // "tt0113277"

enum class EntryKind : uint8_t { movie, show, season, episode };

// How a server lists the episodes of a multi-episode file (`S01E01-E02.mkv`). The catalogue
// always holds one entry per episode (so entry indices stay the same on every fake of a seed);
// the shape decides which are items of this server and what their files are.
enum class MultiEpisodeShape : uint8_t {
  item_per_episode,  // Plex: each episode its own item (ratingKey, view state), one shared file
  one_item,          // Jellyfin/Emby: one item, IndexNumber 1 + IndexNumberEnd 2; E02 is folded
  split_files,       // Jellyfin/Emby --split-multi-episode: the file was split, one file each
};

// How Plex names this item's agent (for shows, seasons, episodes: the series').
enum class PlexAgent : uint8_t { modern, legacy_imdb, legacy_tmdb, legacy_tvdb, hama, local };

struct Entry {
  EntryKind kind = EntryKind::movie;
  PlexAgent agent = PlexAgent::modern;
  uint8_t library = 1;        // 1 movies, 2 shows (also the Plex section key)
  uint16_t year = 0;
  uint16_t season = 0;        // seasons and episodes
  uint16_t episode = 0;       // episodes
  uint16_t episode_end = 0;   // an item covering a two-episode file (one_item): its last episode; else 0
  bool folded = false;        // part of the previous entry's item on this server (one_item): no
                              // item of its own, in no listing, no id lookup
  int32_t show = -1;          // entry index of the series (seasons, episodes)
  int32_t parent = -1;        // entry index of the season (episodes)
  uint32_t index = 0;         // position in entries(): the same on every fake of one seed
  int64_t added_at = 0;       // unix seconds
  int64_t premiere = 0;       // unix seconds, a midnight
  int64_t duration_ms = 0;
  ExternalIds ids;            // as the server shows them (tvmaze only on Emby)
  std::string title;          // movie, series, "Season N" or episode title
  std::string id;             // the server's own id
  std::string guid;           // Plex `guid` (plex://…, legacy agent, local://…); unused elsewhere
  std::string path;           // file (movies, episodes) or folder (shows)
};

class Catalog {
 public:
  static Catalog build(const CatalogOptions& options, ServerType type, std::string_view server_id,
                       MultiEpisodeShape shape);
  // The shape real servers of `type` have: Plex item_per_episode; Jellyfin/Emby one_item, or
  // split_files when the file was split (--split-multi-episode).
  static MultiEpisodeShape shape_for(ServerType type, bool split_multi_episode);

  ServerType type() const { return type_; }
  MultiEpisodeShape shape() const { return shape_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const Entry& at(uint32_t index) const { return entries_[index]; }
  // Entry indices by kind, in catalogue order; folded entries are in none of these lists.
  const std::vector<uint32_t>& movies() const { return movies_; }
  const std::vector<uint32_t>& shows() const { return shows_; }
  const std::vector<uint32_t>& episodes() const { return episodes_; }
  // Seasons and episodes of one show, in order. show_index is an entry index.
  const std::vector<uint32_t>& children_of(uint32_t show_or_season) const;

  // The entry with this server id, or nullptr (also for folded entries).
  const Entry* find(std::string_view id) const;
  // Library ids: Plex "1"/"2"; Jellyfin hex; Emby numeric. library is 1 or 2.
  const std::string& library_id(int library) const { return library_ids_[library == 1 ? 0 : 1]; }
  const std::string& library_uuid(int library) const { return library_uuids_[library == 1 ? 0 : 1]; }
  // 0 if `id` is no library id of this server, else 1 or 2.
  int library_of(std::string_view id) const;

 private:
  ServerType type_ = ServerType::plex;
  MultiEpisodeShape shape_ = MultiEpisodeShape::item_per_episode;
  std::vector<Entry> entries_;
  std::vector<uint32_t> movies_, shows_, episodes_;
  std::unordered_map<uint32_t, std::vector<uint32_t>> children_;
  std::unordered_map<std::string, uint32_t> by_id_;
  std::string library_ids_[2];
  std::string library_uuids_[2];
};

}  // namespace ws::fake
