#include "ws/plex_items.h"

#include "ws/json_fields.h"

namespace ws {
namespace {

using lenient::get_int;
using lenient::get_int32;
using lenient::get_string;

void add_all_guids(const nlohmann::json& metadata, Guids& ids, std::optional<RelativeGuid>* relative) {
  if (const auto* list = lenient::member(metadata, "Guid"); list && list->is_array()) {
    for (const auto& entry : *list)
      if (auto id = get_string(entry, "id")) add_plex_guid(ids, *id, relative);
  }
  if (auto legacy = get_string(metadata, "guid")) add_plex_guid(ids, *legacy, relative);
}

std::string first_file(const nlohmann::json& metadata) {
  const auto* media = lenient::member(metadata, "Media");
  if (!media || !media->is_array()) return {};
  for (const auto& m : *media) {
    const auto* parts = lenient::member(m, "Part");
    if (!parts || !parts->is_array()) continue;
    for (const auto& part : *parts)
      if (auto file = get_string(part, "file"); file && !file->empty()) return *file;
  }
  return {};
}

}  // namespace

const nlohmann::json& plex_metadata_list(const nlohmann::json& body) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const auto* container = lenient::member(body, "MediaContainer");
  if (!container) return kEmpty;
  const auto* list = lenient::member(*container, "Metadata");
  return list && list->is_array() ? *list : kEmpty;
}

Result<MediaItem> parse_plex_item(const nlohmann::json& metadata, std::string_view server) {
  if (!metadata.is_object()) return make_error(ErrorKind::invalid_input, "plex item: not a JSON object");
  MediaItem item;
  item.server = std::string(server);
  auto rating_key = get_string(metadata, "ratingKey");
  if (!rating_key || rating_key->empty())
    return make_error(ErrorKind::invalid_input, "plex item '" + get_string(metadata, "title").value_or("?") + "' has no ratingKey");
  item.item_id = *rating_key;
  const std::string type = get_string(metadata, "type").value_or("");
  if (type == "movie") {
    item.type = MediaType::movie;
    item.title = get_string(metadata, "title").value_or("");
  } else if (type == "episode") {
    item.type = MediaType::episode;
    item.title = get_string(metadata, "grandparentTitle").value_or("");
    item.episode_title = get_string(metadata, "title").value_or("");
    item.series_id = get_string(metadata, "grandparentRatingKey").value_or("");
    item.season = get_int32(metadata, "parentIndex").value_or(-1);
    item.episode = get_int32(metadata, "index").value_or(-1);
    if (auto series_guid = get_string(metadata, "grandparentGuid")) add_plex_guid(item.parent, *series_guid);
  } else {
    return make_error(ErrorKind::invalid_input,
                      "plex item " + item.item_id + " has type '" + type + "', not movie or episode");
  }
  item.year = get_int32(metadata, "year").value_or(0);
  add_all_guids(metadata, item.guids, &item.relative);
  item.library_id = get_string(metadata, "librarySectionID").value_or("");
  item.play_count = std::max(0, get_int32(metadata, "viewCount").value_or(0));
  item.watched = item.play_count > 0;
  item.played_at = std::max<int64_t>(0, get_int(metadata, "lastViewedAt").value_or(0));
  item.added_at = std::max<int64_t>(0, get_int(metadata, "addedAt").value_or(0));
  item.progress_ms = std::max<int64_t>(0, get_int(metadata, "viewOffset").value_or(0));
  // A multi-episode file (`S01E01-E02`) is one item per episode on Plex, each with its own
  // ratingKey, `index` and view state, all pointing at the same file: the episode is `index`
  // alone, and episode_end stays -1 (reading an end from the file name would map every part of
  // the file onto its whole span).
  item.path = first_file(metadata);
  return item;
}

SeriesInfo parse_plex_series(const nlohmann::json& metadata) {
  SeriesInfo info;
  add_all_guids(metadata, info.guids, nullptr);
  info.year = get_int32(metadata, "year").value_or(0);
  return info;
}

ItemsPage plex_items_page(const nlohmann::json& body, std::string_view server) {
  ItemsPage page;
  for (const auto& entry : plex_metadata_list(body)) page.entries.push_back(parse_plex_item(entry, server));
  if (const auto* container = lenient::member(body, "MediaContainer")) page.total = get_int(*container, "totalSize");
  return page;
}

SeriesPage plex_series_page(const nlohmann::json& body) {
  SeriesPage page;
  for (const auto& show : plex_metadata_list(body)) page.entries.push_back({get_string(show, "ratingKey"), parse_plex_series(show)});
  if (const auto* container = lenient::member(body, "MediaContainer")) page.total = get_int(*container, "totalSize");
  return page;
}

}  // namespace ws
