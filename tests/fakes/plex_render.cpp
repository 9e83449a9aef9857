#include "plex_render.h"

#include "fake_hash.h"
#include "fake_time.h"

namespace ws::fake {

PlexWriter::PlexWriter(std::string& out, bool json, bool wrap) : out_(out), json_(json), wrap_(wrap), w_(out) {
  if (!json_ && wrap_) out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
}

void PlexWriter::open(std::string_view xml_tag) {
  if (json_) {
    if (stack_.empty() && wrap_) {
      w_.begin_object().key(xml_tag);
    }
    w_.begin_object();
  } else {
    if (!stack_.empty() && !stack_.back().has_children) {
      out_ += '>';
      stack_.back().has_children = true;
    }
    out_ += '<';
    out_ += xml_tag;
  }
  stack_.push_back(Open{std::string(xml_tag), false});
}

void PlexWriter::attr(std::string_view name, std::string_view value) {
  if (json_) {
    w_.kv(name, value);
  } else {
    xml_attr(out_, name, value);
  }
}

void PlexWriter::attr(std::string_view name, int64_t value) {
  if (json_) {
    w_.kv(name, value);
  } else {
    xml_attr(out_, name, value);
  }
}

void PlexWriter::attr(std::string_view name, bool value) {
  if (json_) {
    w_.kv(name, value);
  } else {
    xml_attr(out_, name, value ? "1" : "0");
  }
}

void PlexWriter::attr(std::string_view name, double value) {
  if (json_) {
    w_.kv(name, value);
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", value);
    xml_attr(out_, name, buf);
  }
}

void PlexWriter::children(std::string_view json_key) {
  if (json_) w_.key(json_key).begin_array();
}

void PlexWriter::end_children() {
  if (json_) w_.end_array();
}

void PlexWriter::close() {
  Open top = std::move(stack_.back());
  stack_.pop_back();
  if (json_) {
    w_.end_object();
    if (stack_.empty() && wrap_) w_.end_object();
  } else if (top.has_children) {
    out_ += "</" + top.tag + ">";
  } else {
    out_ += "/>";
  }
  if (!json_ && stack_.empty()) out_ += '\n';
}

namespace {

const char* kind_name(EntryKind k) {
  switch (k) {
    case EntryKind::movie: return "movie";
    case EntryKind::show: return "show";
    case EntryKind::season: return "season";
    case EntryKind::episode: return "episode";
  }
  return "movie";
}

void guid_list(PlexWriter& w, const Entry& e) {
  // Legacy agents and local items carry their id in `guid` only.
  if (e.agent != PlexAgent::modern || e.ids.empty()) return;
  w.children("Guid");
  auto one = [&](const std::string& id) {
    w.open("Guid");
    w.attr("id", id);
    w.close();
  };
  if (e.ids.imdb) one("imdb://" + imdb_string(e.ids.imdb));
  if (e.ids.tmdb) one("tmdb://" + std::to_string(e.ids.tmdb));
  if (e.ids.tvdb) one("tvdb://" + std::to_string(e.ids.tvdb));
  w.end_children();
}

void media(PlexWriter& w, const Entry& e) {
  const uint64_t h = mix64(e.index + 0x3ed1a);
  const int64_t media_id = 10000 + e.index;
  w.children("Media");
  w.open("Media");
  w.attr("id", media_id);
  w.attr("duration", e.duration_ms);
  w.attr("bitrate", int64_t(2000 + h % 8000));
  w.attr("width", int64_t(1920));
  w.attr("height", int64_t(1080));
  w.attr("aspectRatio", 1.78);
  w.attr("audioChannels", int64_t(6));
  w.attr("audioCodec", "eac3");
  w.attr("videoCodec", "h264");
  w.attr("videoResolution", "1080");
  w.attr("container", "mkv");
  w.attr("videoFrameRate", "24p");
  w.attr("videoProfile", "high");
  w.children("Part");
  w.open("Part");
  w.attr("id", media_id);
  w.attr("key", "/library/parts/" + std::to_string(media_id) + "/" + std::to_string(e.added_at) + "/file.mkv");
  w.attr("duration", e.duration_ms);
  w.attr("file", e.path);
  w.attr("size", int64_t(e.duration_ms / 1000 * 250000 + int64_t(h % 100000)));
  w.attr("container", "mkv");
  w.attr("videoProfile", "high");
  w.close();
  w.end_children();
  w.close();
  w.end_children();
}

}  // namespace

void plex_item(PlexWriter& w, const Catalog& catalog, const FakeState& state, const Entry& e,
               const PlexItemOptions& o) {
  const ItemState& s = state.peek(e.index);
  const bool folder = e.kind == EntryKind::show || e.kind == EntryKind::season;
  const std::string key = "/library/metadata/" + e.id;
  w.open(folder ? "Directory" : "Video");
  w.attr("ratingKey", e.id);
  w.attr("key", folder ? key + "/children" : key);
  w.attr("guid", e.guid);
  if (o.webhook) w.attr("librarySectionType", e.library == 1 ? "movie" : "show");
  if (o.detail) {
    w.attr("librarySectionTitle", plex_section_title(e.library));
    w.attr("librarySectionID", int64_t(e.library));
    w.attr("librarySectionKey", "/library/sections/" + std::to_string(e.library));
  }
  w.attr("type", kind_name(e.kind));
  w.attr("title", e.title);
  if (e.kind == EntryKind::season || e.kind == EntryKind::episode) {
    const Entry& show = catalog.at(uint32_t(e.show));
    if (e.kind == EntryKind::episode) {
      const Entry& season = catalog.at(uint32_t(e.parent));
      w.attr("grandparentRatingKey", show.id);
      w.attr("grandparentKey", "/library/metadata/" + show.id);
      w.attr("grandparentGuid", show.guid);
      w.attr("grandparentTitle", show.title);
      w.attr("grandparentThumb", "/library/metadata/" + show.id + "/thumb/" + std::to_string(show.added_at));
      w.attr("parentRatingKey", season.id);
      w.attr("parentKey", "/library/metadata/" + season.id);
      w.attr("parentGuid", season.guid);
      w.attr("parentTitle", season.title);
      w.attr("parentIndex", int64_t(e.season));
      w.attr("index", int64_t(e.episode));
    } else {
      w.attr("parentRatingKey", show.id);
      w.attr("parentKey", "/library/metadata/" + show.id);
      w.attr("parentGuid", show.guid);
      w.attr("parentTitle", show.title);
      w.attr("index", int64_t(e.season));
    }
  }
  w.attr("summary", "");
  w.attr("year", int64_t(e.year));
  w.attr("thumb", key + "/thumb/" + std::to_string(e.added_at + 3600));
  if (!folder || e.kind == EntryKind::show) w.attr("originallyAvailableAt", iso_date(e.premiere));
  if (folder) {
    int64_t leaves = 0, viewed = 0;
    auto count = [&](uint32_t season_index) {
      for (uint32_t ep : catalog.children_of(season_index)) {
        if (!state.present(ep)) continue;
        ++leaves;
        viewed += state.peek(ep).watched ? 1 : 0;
      }
    };
    if (e.kind == EntryKind::show) {
      const auto seasons = state.present_of(catalog.children_of(e.index));
      for (uint32_t season_index : seasons) count(season_index);
      w.attr("childCount", int64_t(seasons.size()));
    } else {
      count(e.index);
    }
    w.attr("leafCount", leaves);
    w.attr("viewedLeafCount", viewed);
  } else {
    w.attr("duration", e.duration_ms);
  }
  w.attr("addedAt", s.added_at);
  w.attr("updatedAt", s.added_at + 3600);
  // Omitted, not zero, when unset: clients must cope with the absence.
  if (!folder) {
    if (s.play_count > 0) w.attr("viewCount", int64_t(s.play_count));
    if (s.last_played) w.attr("lastViewedAt", unix_from_ticks(s.last_played));
    const int64_t position = o.view_offset.value_or(s.position_ms);
    if (position > 0) w.attr("viewOffset", position);
    media(w, e);
  }
  if (o.guids) guid_list(w, e);
  w.close();
}

}  // namespace ws::fake
