#include "catalog.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "fake_hash.h"
#include "fake_time.h"

namespace ws::fake {
namespace {

constexpr std::array kAdjectives = {"Silent", "Crimson", "Last",     "Hidden", "Broken",  "Golden", "Distant",
                                    "Electric", "Frozen", "Wild",   "Lost",   "Midnight", "Savage", "Quiet",
                                    "Burning", "Hollow",  "Iron",   "Secret", "Endless", "Northern"};
constexpr std::array kNouns = {"River",   "Empire", "Garden", "Signal", "Harbor",     "Machine", "Kingdom",
                               "Shadow",  "Orchard", "Voyage", "Winter", "Horizon",   "Station", "Mirror",
                               "Thief",   "Lighthouse", "Circus", "Frontier", "Canyon", "Dynasty"};
// Real libraries are full of these: accents, Cyrillic, CJK, ligatures.
constexpr std::array kNonAscii = {"Amélie au Café", "Crème Brûlée",  "Über den Wolken", "Крёстный путь",
                                  "東京物語",       "Señora Acero",  "Smörgåsbord",     "Ça commence",
                                  "Ørnens Øje",     "Łódź Nocą",     "Œuvre Noire",     "Ангел-хранитель",
                                  "渋谷の夜",       "Niño Perdido",  "Düsseldorf Blues", "Sœurs d'Été"};

constexpr int64_t kAddedFrom = 1420070400;  // 2015-01-01
constexpr int64_t kAddedTo = 1746057600;    // 2025-05-01

std::string make_title(uint64_t h, uint32_t i) {
  if (i % 8 == 5) return kNonAscii[h % kNonAscii.size()];
  const char* a = kAdjectives[(h >> 8) % kAdjectives.size()];
  const char* n = kNouns[(h >> 16) % kNouns.size()];
  const char* n2 = kNouns[(h >> 24) % kNouns.size()];
  switch ((h >> 32) % 5) {
    case 0: return std::string("The ") + a + " " + n;
    case 1: return std::string(a) + " " + n;
    case 2: return std::string(n) + " of the " + n2;
    case 3: return std::string("The ") + n;
    default: return std::string(a) + " " + n + " " + std::to_string(2 + (h >> 40) % 3);
  }
}

std::string hex(uint64_t a, uint64_t b, size_t len) {
  std::string out;
  char buf[17];
  uint64_t h = hash2(a, b);
  while (out.size() < len) {
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    out += buf;
    h = mix64(h);
  }
  out.resize(len);
  return out;
}

std::string two(int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d", n);
  return buf;
}

// Sanitised for a file name the way scanners expect (no slashes or colons).
std::string file_safe(std::string s) {
  for (char& c : s) {
    if (c == '/' || c == ':') c = '-';
  }
  return s;
}

const char* media_root(ServerType t) {
  switch (t) {
    case ServerType::plex: return "/data/media";
    case ServerType::jellyfin: return "/media";
    case ServerType::emby: return "/mnt/media";
  }
  return "/media";
}

}  // namespace

std::string imdb_string(uint32_t imdb) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "tt%07u", imdb);
  return buf;
}

const std::vector<uint32_t>& Catalog::children_of(uint32_t index) const {
  static const std::vector<uint32_t> kNone;
  auto it = children_.find(index);
  return it == children_.end() ? kNone : it->second;
}

const Entry* Catalog::find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &entries_[it->second];
}

int Catalog::library_of(std::string_view id) const {
  if (id == library_ids_[0]) return 1;
  if (id == library_ids_[1]) return 2;
  return 0;
}

MultiEpisodeShape Catalog::shape_for(ServerType type, bool split_multi_episode) {
  if (type == ServerType::plex) return MultiEpisodeShape::item_per_episode;
  return split_multi_episode ? MultiEpisodeShape::split_files : MultiEpisodeShape::one_item;
}

Catalog Catalog::build(const CatalogOptions& o, ServerType type, std::string_view server_id, MultiEpisodeShape shape) {
  Catalog c;
  c.type_ = type;
  c.shape_ = shape;
  const uint64_t seed = o.seed;
  const uint64_t S = seed % 89;  // shifts id ranges per seed, keeps them disjoint per kind
  const uint64_t server = hash_str(server_id);
  const std::string root = media_root(type);
  const size_t total = size_t(o.movies) + size_t(o.shows) * (1 + size_t(o.seasons) * (1 + size_t(o.episodes)));
  c.entries_.reserve(total);

  for (int i = 0; i < o.movies; ++i) {
    const uint64_t h = hash3(seed, 1, static_cast<uint64_t>(i));
    Entry e;
    e.kind = EntryKind::movie;
    e.library = 1;
    e.title = make_title(h, static_cast<uint32_t>(i));
    e.year = static_cast<uint16_t>(1950 + (h >> 3) % 75);
    e.premiere = unix_from_civil(e.year, 1, 1) + int64_t((h >> 12) % 360) * 86400;
    e.added_at = kAddedFrom + int64_t(mix64(h) % uint64_t(kAddedTo - kAddedFrom));
    e.duration_ms = (80 + int64_t((h >> 20) % 80)) * 60'000 + int64_t((h >> 28) % 60'000);
    const uint64_t u = uint64_t(i);
    if (i % 97 == 13) {
      e.agent = PlexAgent::local;
    } else if (i % 20 == 3) {
      e.agent = PlexAgent::legacy_imdb;
      e.ids.imdb = uint32_t(100000 + S * 25000 + u * 11 + h % 11);
    } else if (i % 20 == 11) {
      e.agent = PlexAgent::legacy_tmdb;
      e.ids.tmdb = uint32_t(1000 + S * 20000 + u * 7 + (h >> 5) % 7);
    } else {
      e.ids.imdb = uint32_t(100000 + S * 25000 + u * 11 + h % 11);
      e.ids.tmdb = uint32_t(1000 + S * 20000 + u * 7 + (h >> 5) % 7);
      if ((h >> 44) % 10 < 3) e.ids.tvdb = uint32_t(300000 + S * 20000 + u * 7 + (h >> 7) % 7);
    }
    const std::string name = file_safe(e.title) + " (" + std::to_string(e.year) + ")";
    e.path = root + "/movies/" + name + "/" + name + ".mkv";
    c.entries_.push_back(std::move(e));
  }

  uint64_t episode_counter = 0;
  for (int s = 0; s < o.shows; ++s) {
    const uint64_t h = hash3(seed, 2, static_cast<uint64_t>(s));
    const uint64_t u = uint64_t(s);
    Entry show;
    show.kind = EntryKind::show;
    show.library = 2;
    show.title = make_title(h, static_cast<uint32_t>(s + 3));
    show.year = static_cast<uint16_t>(1990 + (h >> 3) % 34);
    show.premiere = unix_from_civil(show.year, 1, 1) + int64_t((h >> 12) % 300) * 86400;
    show.added_at = kAddedFrom + int64_t(mix64(h) % uint64_t((kAddedTo - kAddedFrom) * 7 / 10));
    const int64_t episode_ms = (20 + int64_t((h >> 20) % 40)) * 60'000;
    if (s % 97 == 50) {
      show.agent = PlexAgent::local;
    } else if (s % 10 == 3) {
      show.agent = PlexAgent::legacy_tvdb;
      show.ids.tvdb = uint32_t(70000 + S * 5000 + u * 13 + h % 13);
    } else if (s % 10 == 7) {
      show.agent = PlexAgent::hama;
      show.ids.anidb = uint32_t(1 + S * 2000 + u * 3 + h % 3);
    } else {
      show.ids.tvdb = uint32_t(70000 + S * 5000 + u * 13 + h % 13);
      show.ids.tmdb = uint32_t(500000 + S * 5000 + u * 7 + (h >> 5) % 7);
      show.ids.imdb = uint32_t(1000000 + S * 5000 + u * 11 + (h >> 9) % 11);
      if (s % 4 == 0 && type == ServerType::emby) show.ids.tvmaze = uint32_t(1 + S * 3000 + u * 5 + (h >> 13) % 5);
    }
    const std::string show_name = file_safe(show.title) + " (" + std::to_string(show.year) + ")";
    show.path = root + "/tv/" + show_name;
    const uint32_t show_index = static_cast<uint32_t>(c.entries_.size());
    const PlexAgent agent = show.agent;
    const bool two_episode_file = s % 25 == 1 && o.episodes >= 2;
    c.entries_.push_back(std::move(show));

    for (int season = 1; season <= o.seasons; ++season) {
      Entry se;
      se.kind = EntryKind::season;
      se.agent = agent;
      se.library = 2;
      se.season = static_cast<uint16_t>(season);
      se.show = static_cast<int32_t>(show_index);
      se.title = "Season " + std::to_string(season);
      se.year = static_cast<uint16_t>(c.entries_[show_index].year + season - 1);
      se.premiere = c.entries_[show_index].premiere + int64_t(season - 1) * 365 * 86400;
      se.added_at = std::min(kAddedTo, c.entries_[show_index].added_at + int64_t(season - 1) * 40 * 86400);
      const uint32_t season_index = static_cast<uint32_t>(c.entries_.size());
      c.children_[show_index].push_back(season_index);
      c.entries_.push_back(std::move(se));

      for (int ep = 1; ep <= o.episodes; ++ep, ++episode_counter) {
        const uint64_t eh = hash3(seed, 3, episode_counter);
        // E01 and E02 of a two-episode file: one file on Plex and unsplit Jellyfin/Emby.
        const bool in_two_episode_file = two_episode_file && season == 1 && ep <= 2;
        const bool shared_file = in_two_episode_file && shape != MultiEpisodeShape::split_files;
        Entry e;
        e.kind = EntryKind::episode;
        e.agent = agent;
        e.library = 2;
        e.season = static_cast<uint16_t>(season);
        e.episode = static_cast<uint16_t>(ep);
        if (in_two_episode_file && shape == MultiEpisodeShape::one_item) {
          if (ep == 1) e.episode_end = 2;
          e.folded = ep == 2;
        }
        e.show = static_cast<int32_t>(show_index);
        e.parent = static_cast<int32_t>(season_index);
        e.year = c.entries_[season_index].year;
        e.premiere = c.entries_[season_index].premiere + int64_t(ep - 1) * 7 * 86400;
        // The parts of one file were added with it (the E01 entry is the one just before).
        e.added_at = in_two_episode_file && ep == 2
                         ? c.entries_.back().added_at
                         : std::min(kAddedTo, c.entries_[season_index].added_at + int64_t(ep - 1) * 86400 +
                                                  int64_t(eh % 3600));
        e.duration_ms = episode_ms + int64_t((eh >> 8) % 120'000);
        e.title = (eh >> 16) % 3 == 0 ? "Episode " + std::to_string(ep) : make_title(eh, uint32_t(episode_counter));
        if (agent == PlexAgent::modern && (eh >> 24) % 5 != 0) {
          e.ids.tvdb = uint32_t(3000000 + S * 50000 + episode_counter * 7 + (eh >> 30) % 7);
          if ((eh >> 34) % 2) e.ids.imdb = uint32_t(2000000 + S * 50000 + episode_counter * 11 + (eh >> 38) % 11);
          if ((eh >> 42) % 3 == 0) e.ids.tmdb = uint32_t(1000000 + S * 50000 + episode_counter * 7 + (eh >> 46) % 7);
        }
        const std::string number = shared_file ? "S" + two(season) + "E01-E02" : "S" + two(season) + "E" + two(ep);
        e.path = c.entries_[show_index].path + "/Season " + two(season) + "/" + show_name + " - " + number + ".mkv";
        if (!e.folded) c.children_[season_index].push_back(static_cast<uint32_t>(c.entries_.size()));
        c.entries_.push_back(std::move(e));
      }
    }
  }

  // Server ids and Plex guids, now that the order is fixed.
  const uint64_t base = 100 + (server % 9000) * 100;
  for (uint32_t i = 0; i < c.entries_.size(); ++i) {
    Entry& e = c.entries_[i];
    e.index = i;
    switch (type) {
      case ServerType::plex: e.id = std::to_string(base + i); break;
      case ServerType::jellyfin: e.id = hex(server, i, 32); break;
      case ServerType::emby: e.id = std::to_string(base * 3 + i); break;
    }
    if (e.folded) continue;
    switch (e.kind) {
      case EntryKind::movie: c.movies_.push_back(i); break;
      case EntryKind::show: c.shows_.push_back(i); break;
      case EntryKind::episode: c.episodes_.push_back(i); break;
      case EntryKind::season: break;
    }
  }
  for (uint32_t i = 0; i < c.entries_.size(); ++i) {
    Entry& e = c.entries_[i];
    const Entry* show = e.show >= 0 ? &c.entries_[size_t(e.show)] : nullptr;
    const ExternalIds& sid = show ? show->ids : e.ids;
    const std::string suffix = "?lang=en";
    switch (e.agent) {
      case PlexAgent::modern: {
        const char* kind = e.kind == EntryKind::movie ? "movie" : e.kind == EntryKind::show ? "show"
                           : e.kind == EntryKind::season                                  ? "season"
                                                                                          : "episode";
        e.guid = std::string("plex://") + kind + "/" + hex(seed, 0x9000000 + i, 24);
        break;
      }
      case PlexAgent::legacy_imdb: e.guid = "com.plexapp.agents.imdb://" + imdb_string(e.ids.imdb) + suffix; break;
      case PlexAgent::legacy_tmdb: e.guid = "com.plexapp.agents.themoviedb://" + std::to_string(e.ids.tmdb) + suffix; break;
      case PlexAgent::legacy_tvdb:
      case PlexAgent::hama: {
        std::string g = e.agent == PlexAgent::hama ? "com.plexapp.agents.hama://anidb-" + std::to_string(sid.anidb)
                                                   : "com.plexapp.agents.thetvdb://" + std::to_string(sid.tvdb);
        if (e.kind == EntryKind::season || e.kind == EntryKind::episode) g += "/" + std::to_string(e.season);
        if (e.kind == EntryKind::episode) g += "/" + std::to_string(e.episode);
        e.guid = g + suffix;
        break;
      }
      case PlexAgent::local: e.guid = "local://" + e.id; break;
    }
    if (!e.folded) c.by_id_.emplace(e.id, i);
  }
  switch (type) {
    case ServerType::plex: c.library_ids_[0] = "1", c.library_ids_[1] = "2"; break;
    case ServerType::jellyfin: c.library_ids_[0] = hex(server, 0xa1, 32), c.library_ids_[1] = hex(server, 0xa2, 32); break;
    case ServerType::emby: c.library_ids_[0] = "3", c.library_ids_[1] = "4"; break;
  }
  for (int l = 0; l < 2; ++l) {
    std::string h = hex(server, 0xb0 + uint64_t(l), 32);
    c.library_uuids_[l] = h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
                          h.substr(20, 12);
  }
  return c;
}

}  // namespace ws::fake
