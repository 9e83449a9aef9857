#include "mb_render.h"

#include <cctype>

#include "fake_hash.h"
#include "fake_time.h"

namespace ws::fake {

const char* mb_type_name(EntryKind kind) {
  switch (kind) {
    case EntryKind::movie: return "Movie";
    case EntryKind::show: return "Series";
    case EntryKind::season: return "Season";
    case EntryKind::episode: return "Episode";
  }
  return "Movie";
}

int64_t mb_created_ticks(const Entry& e, int64_t added_at) {
  return added_at * kTicksPerSecond + int64_t(mix64(e.index + 0xc4ea7ed) % uint64_t(kTicksPerSecond));
}

void mb_provider_ids(JsonWriter& w, ServerType type, const ExternalIds& ids) {
  w.key("ProviderIds").begin_object();
  if (ids.tmdb) w.kv("Tmdb", std::to_string(ids.tmdb));
  if (ids.imdb) w.kv("Imdb", imdb_string(ids.imdb));
  if (ids.tvdb) w.kv("Tvdb", std::to_string(ids.tvdb));
  if (ids.tvmaze) w.kv(type == ServerType::emby ? "Tv Maze" : "TvMaze", std::to_string(ids.tvmaze));
  if (ids.anidb) w.kv(type == ServerType::emby ? "AniDb" : "AniDB", std::to_string(ids.anidb));
  w.end_object();
}

void mb_user_data(JsonWriter& w, const MbContext& ctx, const Entry& e, const ItemState* as_written) {
  const ItemState& s = as_written ? *as_written : ctx.state.peek(e.index);
  const bool jellyfin = ctx.options.type == ServerType::jellyfin;
  w.key("UserData").begin_object();
  if (e.kind == EntryKind::show || e.kind == EntryKind::season) {
    int64_t unplayed = 0, total = 0;
    auto count = [&](uint32_t season) {
      for (uint32_t ep : ctx.catalog.children_of(season)) {
        if (!ctx.state.present(ep)) continue;
        ++total;
        unplayed += ctx.state.peek(ep).watched ? 0 : 1;
      }
    };
    if (e.kind == EntryKind::show) {
      for (uint32_t season : ctx.catalog.children_of(e.index)) count(season);
    } else {
      count(e.index);
    }
    w.kv("UnplayedItemCount", unplayed);
    w.kv("PlaybackPositionTicks", int64_t(0));
    w.kv("PlayCount", int64_t(0));
    w.kv("IsFavorite", false);
    w.kv("Played", total > 0 && unplayed == 0);
  } else {
    if (s.position_ms > 0 && e.duration_ms > 0) {
      w.kv("PlayedPercentage", double(s.position_ms) * 100.0 / double(e.duration_ms));
    }
    w.kv("PlaybackPositionTicks", s.position_ms * kTicksPerMs);
    w.kv("PlayCount", int64_t(s.play_count));
    w.kv("IsFavorite", false);
    if (s.last_played) w.kv("LastPlayedDate", iso_ticks(s.last_played));
    w.kv("Played", s.watched);
  }
  if (jellyfin) {
    w.kv("Key", e.id);
    w.kv("ItemId", e.id);
  }
  w.end_object();
}

void mb_item(JsonWriter& w, const MbContext& ctx, const Entry& e, bool user_data) {
  const ItemState& s = ctx.state.peek(e.index);
  const Catalog& c = ctx.catalog;
  const bool folder = e.kind == EntryKind::show || e.kind == EntryKind::season;
  w.begin_object();
  w.kv("Name", e.title);
  w.kv("ServerId", ctx.options.server_id);
  w.kv("Id", e.id);
  char etag[40];
  std::snprintf(etag, sizeof etag, "%016llx%016llx", static_cast<unsigned long long>(mix64(e.index ^ 0xe7a9)),
                static_cast<unsigned long long>(mix64(e.index ^ 0xe7aa)));
  w.kv("Etag", std::string_view(etag, 32));
  w.kv("DateCreated", iso_ticks(mb_created_ticks(e, s.added_at)));
  w.kv("CanDelete", false);
  w.kv("CanDownload", !folder);
  if (!folder) w.kv("Container", "mkv");
  std::string sort;
  std::string_view t = e.title;
  if (t.starts_with("The ")) t.remove_prefix(4);
  for (char ch : t) sort += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  w.kv("SortName", sort);
  w.kv("PremiereDate", iso_ticks(e.premiere * kTicksPerSecond));
  w.kv("Path", e.kind == EntryKind::season ? c.at(uint32_t(e.show)).path + "/Season " + std::to_string(e.season)
                                           : e.path);
  if (!folder) w.kv("RunTimeTicks", e.duration_ms * kTicksPerMs);
  w.kv("ProductionYear", int64_t(e.year));
  mb_provider_ids(w, ctx.options.type, e.ids);
  if (e.kind == EntryKind::episode || e.kind == EntryKind::season) {
    w.kv("IndexNumber", int64_t(e.kind == EntryKind::episode ? e.episode : e.season));
  }
  if (e.episode_end) w.kv("IndexNumberEnd", int64_t(e.episode_end));
  if (e.kind == EntryKind::episode) w.kv("ParentIndexNumber", int64_t(e.season));
  w.kv("IsFolder", folder);
  if (e.kind == EntryKind::movie) {
    w.kv("ParentId", c.library_id(1));
  } else if (e.kind == EntryKind::show) {
    w.kv("ParentId", c.library_id(2));
  } else if (e.kind == EntryKind::season) {
    w.kv("ParentId", c.at(uint32_t(e.show)).id);
  } else {
    w.kv("ParentId", c.at(uint32_t(e.parent)).id);
  }
  w.kv("Type", mb_type_name(e.kind));
  if (e.kind == EntryKind::episode || e.kind == EntryKind::season) {
    const Entry& show = c.at(uint32_t(e.show));
    w.kv("SeriesName", show.title);
    w.kv("SeriesId", show.id);
    if (e.kind == EntryKind::episode) {
      const Entry& season = c.at(uint32_t(e.parent));
      w.kv("SeasonId", season.id);
      w.kv("SeasonName", season.title);
    }
  }
  if (e.kind == EntryKind::show) w.kv("Status", "Ended");
  if (user_data) mb_user_data(w, ctx, e);
  if (folder) {
    w.kv("ChildCount", int64_t(ctx.state.present_of(c.children_of(e.index)).size()));
  } else {
    w.kv("VideoType", "VideoFile");
  }
  w.kv("LocationType", "FileSystem");
  w.kv("MediaType", folder ? "Unknown" : "Video");
  w.end_object();
}

}  // namespace ws::fake
