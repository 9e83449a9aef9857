#include "ws/guids.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include <nlohmann/json.hpp>

#include "ws/text.h"

namespace ws {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Sources whose values are plain numbers.
bool is_numeric_source(std::string_view source) {
  static constexpr std::array<std::string_view, 5> kNumeric{"tmdb", "tvdb", "tvmaze", "tvrage", "anidb"};
  return std::find(kNumeric.begin(), kNumeric.end(), source) != kNumeric.end();
}

// Numeric part of a value for "keep the smaller number": the digits after imdb's "tt".
uint64_t numeric_part(std::string_view value) {
  if (value.size() > 2 && value[0] == 't' && value[1] == 't') value.remove_prefix(2);
  uint64_t n = UINT64_MAX;
  std::from_chars(value.data(), value.data() + value.size(), n);
  return n;
}

int to_int(std::string_view s) {
  int n = -1;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size()) return -1;
  return n;
}

// "SERIES/SEASON/EPISODE" -> a relative guid; nullopt when the value has another shape.
std::optional<RelativeGuid> parse_relative(std::string_view source, std::string_view value) {
  auto first = value.find('/');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = value.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto series = normalize_guid_value(source, value.substr(0, first));
  int season = to_int(value.substr(first + 1, second - first - 1));
  int episode = to_int(value.substr(second + 1));
  if (!series || season < 0 || episode < 0) return std::nullopt;
  return RelativeGuid{std::string(source), *series, season, episode};
}

// Adds `value` (which may be "ID" or "ID/SEASON/EPISODE") of a legacy agent.
void add_agent_value(Guids& ids, std::string_view source, std::string_view value,
                     std::optional<RelativeGuid>* relative) {
  if (value.find('/') != std::string_view::npos) {
    if (auto rel = parse_relative(source, value); rel && relative) *relative = std::move(rel);
    return;
  }
  add_guid(ids, source, value);
}

}  // namespace

std::string canonical_source(std::string_view name) {
  std::string key;
  for (unsigned char c : name)
    if (std::isalnum(c)) key.push_back(static_cast<char>(std::tolower(c)));
  if (key == "imdb") return "imdb";
  if (key == "tmdb" || key == "themoviedb") return "tmdb";
  if (key == "tvdb" || key == "thetvdb") return "tvdb";
  if (key == "tvmaze") return "tvmaze";
  if (key == "tvrage") return "tvrage";
  if (key == "anidb") return "anidb";
  // Everything else carries nothing we can share between servers (plex://, local://, none) or
  // is not an id of the item itself (Jellyfin's TmdbCollection is the collection's id).
  return "";
}

std::optional<std::string> normalize_guid_value(std::string_view source, std::string_view value) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (source == "imdb") {
    std::string v = ascii_lower(value);
    if (v.size() < 3 || v[0] != 't' || v[1] != 't' || !all_digits(std::string_view(v).substr(2))) return std::nullopt;
    if (numeric_part(v) == 0) return std::nullopt;
    return v;
  }
  if (is_numeric_source(source)) {
    if (!all_digits(value)) return std::nullopt;
    auto nonzero = value.find_first_not_of('0');
    if (nonzero == std::string_view::npos) return std::nullopt;  // "0" is a server's "none"
    return std::string(value.substr(nonzero));
  }
  return std::nullopt;
}

bool add_guid(Guids& ids, std::string_view source, std::string_view value) {
  auto canonical = canonical_source(source);
  if (canonical.empty()) return false;
  auto normalized = normalize_guid_value(canonical, value);
  if (!normalized) return false;
  auto it = ids.find(canonical);
  if (it == ids.end()) {
    ids.emplace(std::move(canonical), std::move(*normalized));
  } else if (numeric_part(*normalized) < numeric_part(it->second)) {
    it->second = std::move(*normalized);
  }
  return true;
}

void add_plex_guid(Guids& ids, std::string_view guid, std::optional<RelativeGuid>* relative) {
  guid = trim(guid);
  if (auto q = guid.find('?'); q != std::string_view::npos) guid = guid.substr(0, q);  // ?lang=en
  auto sep = guid.find("://");
  if (sep == std::string_view::npos) return;
  std::string scheme = ascii_lower(guid.substr(0, sep));
  std::string_view value = guid.substr(sep + 3);

  static constexpr std::string_view kAgentPrefix = "com.plexapp.agents.";
  if (scheme.rfind(kAgentPrefix, 0) != 0) {
    // New-style Guid[].id: imdb://, tmdb://, tvdb://; plex:// and local:// carry nothing.
    add_guid(ids, scheme, value);
    return;
  }
  std::string agent = scheme.substr(kAgentPrefix.size());
  if (agent == "imdb") {
    add_agent_value(ids, "imdb", value, relative);
  } else if (agent == "themoviedb") {
    add_agent_value(ids, "tmdb", value, relative);
  } else if (agent == "thetvdb") {
    add_agent_value(ids, "tvdb", value, relative);
  } else if (agent == "xbmcnfo") {
    // The XBMC nfo movie agent stores an imdb id, or a tmdb number.
    std::string_view id = value.substr(0, value.find('/'));
    add_agent_value(ids, ascii_lower(id).rfind("tt", 0) == 0 ? "imdb" : "tmdb", value, relative);
  } else if (agent == "xbmcnfotv") {
    add_agent_value(ids, "tvdb", value, relative);
  } else if (agent == "hama") {
    // HAMA: anidb-1234, tvdb-123 (also tvdb2-…tvdb6- numbering modes), tmdb-, imdb-; an episode
    // may add /SEASON/EPISODE.
    auto dash = value.find('-');
    if (dash == std::string_view::npos) return;
    std::string source = ascii_lower(value.substr(0, dash));
    while (!source.empty() && std::isdigit(static_cast<unsigned char>(source.back()))) source.pop_back();
    add_agent_value(ids, source, value.substr(dash + 1), relative);
  }
  // *.agents.none, *.agents.localmedia and unknown agents carry nothing shareable.
}

void add_provider_ids(Guids& ids, const nlohmann::json& provider_ids) {
  if (!provider_ids.is_object()) return;
  for (auto it = provider_ids.begin(); it != provider_ids.end(); ++it) {
    const auto& v = it.value();
    if (v.is_string()) {
      add_guid(ids, it.key(), v.get_ref<const std::string&>());
    } else if (v.is_number_integer() || v.is_number_unsigned()) {
      add_guid(ids, it.key(), v.dump());
    }
  }
}

std::optional<std::pair<std::string, std::string>> parse_guid_uri(std::string_view uri) {
  auto sep = uri.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  auto source = canonical_source(uri.substr(0, sep));
  if (source.empty()) return std::nullopt;
  auto value = normalize_guid_value(source, uri.substr(sep + 3));
  if (!value) return std::nullopt;
  return std::make_pair(source, *value);
}

}  // namespace ws
