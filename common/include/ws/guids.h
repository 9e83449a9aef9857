// External ids ("guids") of a movie, episode or series, and their normalization from the shapes
// the three servers send. Backend knowledge of id formats lives here and nowhere else.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace ws {

// Source name -> value, e.g. {"imdb": "tt0111161", "tmdb": "278"}. Sources are lowercase
// ("imdb", "tmdb", "tvdb", "tvmaze", "tvrage", "anidb", or a user-defined name). Values are
// validated: imdb is `tt` + digits, the well-known numeric sources are digits only.
using Guids = std::map<std::string, std::string>;

// An episode id that is really a position inside a series: Plex's legacy
// `com.plexapp.agents.thetvdb://SERIES/SEASON/EPISODE`. It is exactly a relative match key.
struct RelativeGuid {
  std::string source;     // e.g. "tvdb"
  std::string series_id;  // the series' id at that source
  int season = 0;
  int episode = 0;
  bool operator==(const RelativeGuid&) const = default;
};

// Maps a source name as any server spells it ("Imdb", "IMDB", "Tv Maze", "themoviedb",
// "thetvdb", "tvmaze") to our canonical lowercase name. Returns "" for names that carry nothing
// shareable (plex, local, none, ...).
std::string canonical_source(std::string_view name);

// Checks and normalizes a value for a canonical source: trims, lowercases imdb's "TT", strips
// leading zeros of numeric ids. Returns nullopt for values that cannot be an id of that source.
std::optional<std::string> normalize_guid_value(std::string_view source, std::string_view value);

// Adds `source=value` to `ids` after normalization. When the source is already present with a
// different value, keeps the smaller number (servers sometimes list duplicates). Returns false
// when the pair was rejected.
bool add_guid(Guids& ids, std::string_view source, std::string_view value);

// One Plex guid string: a new-style `imdb://tt0113277` / `tmdb://949` from `Guid[].id`, or a
// legacy agent string from `guid` (`com.plexapp.agents.imdb://tt…?lang=en`, `…themoviedb://`,
// `…thetvdb://ID` or `…thetvdb://SERIES/SEASON/EPISODE`, `…xbmcnfo(tv)://`, HAMA
// `com.plexapp.agents.hama://anidb-1234` and its tvdb-/tmdb-/imdb- forms). `plex://`, `local://`
// and `*.agents.none` are ignored. A relative thetvdb form goes to `relative`, not `ids`.
void add_plex_guid(Guids& ids, std::string_view guid, std::optional<RelativeGuid>* relative = nullptr);

// Jellyfin/Emby `ProviderIds` object ({"Imdb": "tt…", "Tmdb": "…", "Tv Maze": "…"}), any key
// case; null and non-string values are tolerated (numbers are accepted as text).
void add_provider_ids(Guids& ids, const nlohmann::json& provider_ids);

// "imdb://tt0111161" -> {"imdb", "tt0111161"}; nullopt if it is not of that shape or the value
// is not valid for the source. Used by `state:show GUID`.
std::optional<std::pair<std::string, std::string>> parse_guid_uri(std::string_view uri);

}  // namespace ws
