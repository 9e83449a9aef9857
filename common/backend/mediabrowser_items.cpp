#include "ws/mediabrowser_items.h"

#include <algorithm>
#include <cctype>

#include "ws/iso_time.h"
#include "ws/lenient_json.h"

namespace ws {
namespace {

using lenient::get_bool;
using lenient::get_int;
using lenient::get_string;

int to_int(std::optional<int64_t> v, int fallback) {
  return v && *v >= INT32_MIN && *v <= INT32_MAX ? static_cast<int>(*v) : fallback;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int year_of(const nlohmann::json& item) {
  if (int year = to_int(get_int(item, "ProductionYear"), 0); year > 0) return year;
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

int64_t date_of(const nlohmann::json& obj, std::string_view key) {
  auto text = get_string(obj, key);
  return text ? iso_time::parse(*text).value_or(0) : 0;
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
  const std::string type = lower(get_string(json, "Type").value_or(""));
  if (type == "movie") {
    item.type = MediaType::movie;
    item.title = get_string(json, "Name").value_or("");
  } else if (type == "episode") {
    item.type = MediaType::episode;
    item.title = get_string(json, "SeriesName").value_or("");
    item.episode_title = get_string(json, "Name").value_or("");
    item.series_id = get_string(json, "SeriesId").value_or("");
    item.season = to_int(get_int(json, "ParentIndexNumber"), -1);
    item.episode = to_int(get_int(json, "IndexNumber"), -1);
    const int end = to_int(get_int(json, "IndexNumberEnd"), -1);
    if (end > item.episode && item.episode >= 0) item.episode_end = end;
  } else {
    return make_error(ErrorKind::invalid_input, "item " + item.item_id + " has type '" +
                                                    get_string(json, "Type").value_or("") + "', not Movie or Episode");
  }
  item.year = year_of(json);
  if (const auto* providers = lenient::member(json, "ProviderIds")) add_provider_ids(item.guids, *providers);
  item.added_at = date_of(json, "DateCreated");
  item.path = get_string(json, "Path").value_or("");
  if (const auto* user_data = lenient::member(json, "UserData")) {
    item.watched = get_bool(*user_data, "Played").value_or(false);
    item.play_count = std::max(0, to_int(get_int(*user_data, "PlayCount"), 0));
    item.progress_ms = iso_time::ms_from_ticks(get_int(*user_data, "PlaybackPositionTicks").value_or(0));
    item.played_at = date_of(*user_data, "LastPlayedDate");
  }
  return item;
}

SeriesInfo parse_mediabrowser_series(const nlohmann::json& json) {
  SeriesInfo info;
  if (const auto* providers = lenient::member(json, "ProviderIds")) add_provider_ids(info.guids, *providers);
  info.year = year_of(json);
  return info;
}

}  // namespace ws
