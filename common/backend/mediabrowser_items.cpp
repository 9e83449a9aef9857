#include "ws/mediabrowser_items.h"

#include <algorithm>
#include <cctype>

#include "ws/iso_time.h"
#include "ws/json_fields.h"
#include "ws/text.h"

namespace ws {
namespace {

using lenient::get_bool;
using lenient::get_date;
using lenient::get_int;
using lenient::get_int32;
using lenient::get_string;

int year_of(const nlohmann::json& item) {
  if (int year = get_int32(item, "ProductionYear").value_or(0); year > 0) return year;
  if (auto premiere = get_string(item, "PremiereDate"); premiere && premiere->size() >= 4) {
    // "2002-01-01T00:00:00.0000000Z": the year is the first four digits.
    const std::string y = premiere->substr(0, 4);
    if (std::all_of(y.begin(), y.end(), [](unsigned char c) { return std::isdigit(c); })) {
      const int year = std::stoi(y);
      if (year > 1800) return year;
    }
  }
  return 0;
}

}  // namespace

const nlohmann::json& mediabrowser_items_list(const nlohmann::json& body) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const auto* list = lenient::member(body, "Items");
  return list && list->is_array() ? *list : kEmpty;
}

Result<MediaItem> parse_mediabrowser_item(const nlohmann::json& json, std::string_view server) {
  if (!json.is_object()) return make_error(ErrorKind::invalid_input, "item: not a JSON object");
  MediaItem item;
  item.server = std::string(server);
  auto id = get_string(json, "Id");
  if (!id || id->empty())
    return make_error(ErrorKind::invalid_input, "item '" + get_string(json, "Name").value_or("?") + "' has no Id");
  item.item_id = *id;
  const std::string type = ascii_lower(get_string(json, "Type").value_or(""));
  if (type == "movie") {
    item.type = MediaType::movie;
    item.title = get_string(json, "Name").value_or("");
  } else if (type == "episode") {
    item.type = MediaType::episode;
    item.title = get_string(json, "SeriesName").value_or("");
    item.episode_title = get_string(json, "Name").value_or("");
    item.series_id = get_string(json, "SeriesId").value_or("");
    item.season = get_int32(json, "ParentIndexNumber").value_or(-1);
    item.episode = get_int32(json, "IndexNumber").value_or(-1);
    const int end = get_int32(json, "IndexNumberEnd").value_or(-1);
    if (end > item.episode && item.episode >= 0) item.episode_end = end;
  } else {
    return make_error(ErrorKind::invalid_input, "item " + item.item_id + " has type '" +
                                                    get_string(json, "Type").value_or("") + "', not Movie or Episode");
  }
  item.year = year_of(json);
  if (const auto* providers = lenient::member(json, "ProviderIds")) add_provider_ids(item.guids, *providers);
  item.added_at = get_date(json, "DateCreated").value_or(0);
  item.path = get_string(json, "Path").value_or("");
  if (const auto* user_data = lenient::member(json, "UserData")) {
    item.watched = get_bool(*user_data, "Played").value_or(false);
    item.play_count = std::max(0, get_int32(*user_data, "PlayCount").value_or(0));
    item.progress_ms = iso_time::ms_from_ticks(get_int(*user_data, "PlaybackPositionTicks").value_or(0));
    item.played_at = get_date(*user_data, "LastPlayedDate").value_or(0);
  }
  return item;
}

SeriesInfo parse_mediabrowser_series(const nlohmann::json& json) {
  SeriesInfo info;
  if (const auto* providers = lenient::member(json, "ProviderIds")) add_provider_ids(info.guids, *providers);
  info.year = year_of(json);
  return info;
}

ItemsPage mediabrowser_items_page(const nlohmann::json& body, std::string_view server) {
  ItemsPage page;
  for (const auto& entry : mediabrowser_items_list(body)) page.entries.push_back(parse_mediabrowser_item(entry, server));
  page.total = get_int(body, "TotalRecordCount");
  return page;
}

SeriesPage mediabrowser_series_page(const nlohmann::json& body) {
  SeriesPage page;
  for (const auto& entry : mediabrowser_items_list(body)) page.entries.push_back({get_string(entry, "Id"), parse_mediabrowser_series(entry)});
  page.total = get_int(body, "TotalRecordCount");
  return page;
}

}  // namespace ws
