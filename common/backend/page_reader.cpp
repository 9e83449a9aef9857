#include "ws/page_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>
#include <vector>

#include "ws/iso_time.h"
#include "ws/json_fields.h"
#include "ws/text.h"

namespace ws {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// A member as ws::lenient sees it once found: nullopt when absent. A null member is kept (it
// overrides an earlier duplicate, as in nlohmann) and reads as absent.
using Value = std::optional<element>;

bool present(const Value& v) { return v && !v->is_null(); }

// The last member named `key` of `value` (nlohmann keeps the last of duplicate keys); nullopt
// when `value` is not an object or has no such member.
Value last_member(const Value& value, std::string_view key) {
  simdjson::dom::object object;
  if (!present(value) || value->get(object) != simdjson::SUCCESS) return std::nullopt;
  Value found;
  for (const auto field : object)
    if (field.key == key) found = field.value;
  return found;
}

// The members named in `keys` of `value`, in one pass (the last of duplicates wins).
template <size_t N>
std::array<Value, N> members(const Value& value, const std::array<std::string_view, N>& keys) {
  std::array<Value, N> out;
  simdjson::dom::object object;
  if (!present(value) || value->get(object) != simdjson::SUCCESS) return out;
  for (const auto field : object)
    for (size_t i = 0; i < N; ++i)
      if (field.key == keys[i]) {
        out[i] = field.value;
        break;
      }
  return out;
}

bool is_array(const Value& v) { return present(v) && v->is_array(); }

// ws::lenient::as_string / as_int / as_bool / get_date for a simdjson value, reading each kind
// as nlohmann's counterpart does (nlohmann stores positive integers as unsigned, simdjson as
// int64 below 2^63: both read the same number).
std::optional<std::string> as_string(const Value& v) {
  if (!present(v)) return std::nullopt;
  switch (v->type()) {
    case element_type::STRING: return std::string(std::string_view(*v));
    case element_type::INT64: return std::to_string(int64_t(*v));
    case element_type::UINT64: return std::to_string(uint64_t(*v));
    case element_type::DOUBLE: return lenient::text_of_float(double(*v));
    case element_type::BOOL: return bool(*v) ? "true" : "false";
    default: return std::nullopt;
  }
}

std::optional<int64_t> as_int(const Value& v) {
  if (!present(v)) return std::nullopt;
  switch (v->type()) {
    case element_type::INT64: return int64_t(*v);
    case element_type::UINT64: {
      const uint64_t u = uint64_t(*v);
      if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return static_cast<int64_t>(u);
    }
    case element_type::DOUBLE: return lenient::int_of_float(double(*v));
    case element_type::STRING: return lenient::int_of_text(std::string_view(*v));
    default: return std::nullopt;
  }
}

std::optional<int> as_int32(const Value& v) {
  auto i = as_int(v);
  if (!i || *i < INT32_MIN || *i > INT32_MAX) return std::nullopt;
  return static_cast<int>(*i);
}

std::optional<bool> as_bool(const Value& v) {
  if (!present(v)) return std::nullopt;
  switch (v->type()) {
    case element_type::BOOL: return bool(*v);
    case element_type::INT64: return static_cast<double>(int64_t(*v)) != 0;
    case element_type::UINT64: return static_cast<double>(uint64_t(*v)) != 0;
    case element_type::DOUBLE: return double(*v) != 0;
    case element_type::STRING: return lenient::bool_of_text(std::string_view(*v));
    default: return std::nullopt;
  }
}

std::optional<int64_t> as_date(const Value& v) {
  if (!present(v) || !v->is_string()) return std::nullopt;
  return iso_time::parse(std::string_view(*v));
}

// add_provider_ids (ws/guids.h) over a simdjson object: nlohmann iterates an object in key order
// (a std::map, the last of duplicates kept), and add_guid keeps the first of two equal numbers, so
// the members are visited in that order.
void add_provider_ids(Guids& ids, const Value& provider_ids) {
  simdjson::dom::object object;
  if (!present(provider_ids) || provider_ids->get(object) != simdjson::SUCCESS) return;
  std::vector<std::pair<std::string_view, element>> fields;
  for (const auto field : object) {
    auto same = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == field.key; });
    if (same != fields.end()) {
      same->second = field.value;
    } else {
      fields.emplace_back(field.key, field.value);
    }
  }
  std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, value] : fields) {
    switch (value.type()) {
      case element_type::STRING: add_guid(ids, key, std::string_view(value)); break;
      case element_type::INT64: add_guid(ids, key, std::to_string(int64_t(value))); break;
      case element_type::UINT64: add_guid(ids, key, std::to_string(uint64_t(value))); break;
      default: break;
    }
  }
}

// --- Plex: parse_plex_item / parse_plex_series (plex_items.cpp) -------------------------------

enum PlexKey {
  kRatingKey, kType, kTitle, kGrandparentTitle, kGrandparentRatingKey, kParentIndex, kIndex, kGrandparentGuid,
  kYear, kGuidList, kGuid, kLibrarySectionId, kViewCount, kLastViewedAt, kAddedAt, kViewOffset, kMedia, kPlexKeys
};
constexpr std::array<std::string_view, kPlexKeys> kPlexNames{
    "ratingKey", "type", "title", "grandparentTitle", "grandparentRatingKey", "parentIndex", "index", "grandparentGuid",
    "year", "Guid", "guid", "librarySectionID", "viewCount", "lastViewedAt", "addedAt", "viewOffset", "Media"};
using PlexFields = std::array<Value, kPlexKeys>;

void add_all_plex_guids(const PlexFields& f, Guids& ids, std::optional<RelativeGuid>* relative) {
  if (is_array(f[kGuidList]))
    for (const element entry : simdjson::dom::array(*f[kGuidList]))
      if (auto id = as_string(last_member(entry, "id"))) add_plex_guid(ids, *id, relative);
  if (auto legacy = as_string(f[kGuid])) add_plex_guid(ids, *legacy, relative);
}

std::string first_plex_file(const Value& media) {
  if (!is_array(media)) return {};
  for (const element m : simdjson::dom::array(*media)) {
    const Value parts = last_member(m, "Part");
    if (!is_array(parts)) continue;
    for (const element part : simdjson::dom::array(*parts))
      if (auto file = as_string(last_member(part, "file")); file && !file->empty()) return *file;
  }
  return {};
}

Result<MediaItem> read_plex_item(const element& metadata, std::string_view server) {
  if (!metadata.is_object()) return make_error(ErrorKind::invalid_input, "plex item: not a JSON object");
  const PlexFields f = members(Value(metadata), kPlexNames);
  MediaItem item;
  item.server = std::string(server);
  auto rating_key = as_string(f[kRatingKey]);
  if (!rating_key || rating_key->empty())
    return make_error(ErrorKind::invalid_input, "plex item '" + as_string(f[kTitle]).value_or("?") + "' has no ratingKey");
  item.item_id = std::move(*rating_key);
  const std::string type = as_string(f[kType]).value_or("");
  if (type == "movie") {
    item.type = MediaType::movie;
    item.title = as_string(f[kTitle]).value_or("");
  } else if (type == "episode") {
    item.type = MediaType::episode;
    item.title = as_string(f[kGrandparentTitle]).value_or("");
    item.episode_title = as_string(f[kTitle]).value_or("");
    item.series_id = as_string(f[kGrandparentRatingKey]).value_or("");
    item.season = as_int32(f[kParentIndex]).value_or(-1);
    item.episode = as_int32(f[kIndex]).value_or(-1);
    if (auto series_guid = as_string(f[kGrandparentGuid])) add_plex_guid(item.parent, *series_guid);
  } else {
    return make_error(ErrorKind::invalid_input,
                      "plex item " + item.item_id + " has type '" + type + "', not movie or episode");
  }
  item.year = as_int32(f[kYear]).value_or(0);
  add_all_plex_guids(f, item.guids, &item.relative);
  item.library_id = as_string(f[kLibrarySectionId]).value_or("");
  item.play_count = std::max(0, as_int32(f[kViewCount]).value_or(0));
  item.watched = item.play_count > 0;
  item.played_at = std::max<int64_t>(0, as_int(f[kLastViewedAt]).value_or(0));
  item.added_at = std::max<int64_t>(0, as_int(f[kAddedAt]).value_or(0));
  item.progress_ms = std::max<int64_t>(0, as_int(f[kViewOffset]).value_or(0));
  item.path = first_plex_file(f[kMedia]);
  return item;
}

SeriesInfo read_plex_series(const element& metadata) {
  const PlexFields f = members(Value(metadata), kPlexNames);
  SeriesInfo info;
  add_all_plex_guids(f, info.guids, nullptr);
  info.year = as_int32(f[kYear]).value_or(0);
  return info;
}

// plex_metadata_list: `MediaContainer.Metadata` when it is an array; and `MediaContainer.totalSize`.
std::pair<Value, std::optional<int64_t>> plex_list(const element& root) {
  const Value container = last_member(root, "MediaContainer");
  const auto [list, total] = members(container, std::array<std::string_view, 2>{"Metadata", "totalSize"});
  return {is_array(list) ? list : std::nullopt, present(container) ? as_int(total) : std::nullopt};
}

// --- Jellyfin / Emby: parse_mediabrowser_item / parse_mediabrowser_series -----------------------

enum MbKey {
  kId, kMbType, kName, kSeriesName, kSeriesId, kParentIndexNumber, kIndexNumber, kIndexNumberEnd, kProductionYear,
  kPremiereDate, kProviderIds, kDateCreated, kPath, kUserData, kMbKeys
};
constexpr std::array<std::string_view, kMbKeys> kMbNames{
    "Id",           "Type",           "Name",        "SeriesName",  "SeriesId", "ParentIndexNumber", "IndexNumber",
    "IndexNumberEnd", "ProductionYear", "PremiereDate", "ProviderIds", "DateCreated", "Path",           "UserData"};
using MbFields = std::array<Value, kMbKeys>;

int mediabrowser_year(const MbFields& f) {
  if (int year = as_int32(f[kProductionYear]).value_or(0); year > 0) return year;
  if (auto premiere = as_string(f[kPremiereDate]); premiere && premiere->size() >= 4) {
    const std::string y = premiere->substr(0, 4);
    if (std::all_of(y.begin(), y.end(), [](unsigned char c) { return std::isdigit(c); })) {
      const int year = std::stoi(y);
      if (year > 1800) return year;
    }
  }
  return 0;
}

Result<MediaItem> read_mediabrowser_item(const element& json, std::string_view server) {
  if (!json.is_object()) return make_error(ErrorKind::invalid_input, "item: not a JSON object");
  const MbFields f = members(Value(json), kMbNames);
  MediaItem item;
  item.server = std::string(server);
  auto id = as_string(f[kId]);
  if (!id || id->empty())
    return make_error(ErrorKind::invalid_input, "item '" + as_string(f[kName]).value_or("?") + "' has no Id");
  item.item_id = std::move(*id);
  const std::string type = ascii_lower(as_string(f[kMbType]).value_or(""));
  if (type == "movie") {
    item.type = MediaType::movie;
    item.title = as_string(f[kName]).value_or("");
  } else if (type == "episode") {
    item.type = MediaType::episode;
    item.title = as_string(f[kSeriesName]).value_or("");
    item.episode_title = as_string(f[kName]).value_or("");
    item.series_id = as_string(f[kSeriesId]).value_or("");
    item.season = as_int32(f[kParentIndexNumber]).value_or(-1);
    item.episode = as_int32(f[kIndexNumber]).value_or(-1);
    const int end = as_int32(f[kIndexNumberEnd]).value_or(-1);
    if (end > item.episode && item.episode >= 0) item.episode_end = end;
  } else {
    return make_error(ErrorKind::invalid_input, "item " + item.item_id + " has type '" +
                                                    as_string(f[kMbType]).value_or("") + "', not Movie or Episode");
  }
  item.year = mediabrowser_year(f);
  add_provider_ids(item.guids, f[kProviderIds]);
  item.added_at = as_date(f[kDateCreated]).value_or(0);
  item.path = as_string(f[kPath]).value_or("");
  if (present(f[kUserData])) {
    const auto [played, play_count, position, last_played] = members(
        f[kUserData], std::array<std::string_view, 4>{"Played", "PlayCount", "PlaybackPositionTicks", "LastPlayedDate"});
    item.watched = as_bool(played).value_or(false);
    item.play_count = std::max(0, as_int32(play_count).value_or(0));
    item.progress_ms = iso_time::ms_from_ticks(as_int(position).value_or(0));
    item.played_at = as_date(last_played).value_or(0);
  }
  return item;
}

SeriesInfo read_mediabrowser_series(const element& json) {
  const MbFields f = members(Value(json), kMbNames);
  SeriesInfo info;
  add_provider_ids(info.guids, f[kProviderIds]);
  info.year = mediabrowser_year(f);
  return info;
}

// mediabrowser_items_list: `Items` when it is an array; and `TotalRecordCount`.
std::pair<Value, std::optional<int64_t>> mediabrowser_list(const element& root) {
  const auto [list, total] = members(Value(root), std::array<std::string_view, 2>{"Items", "TotalRecordCount"});
  return {is_array(list) ? list : std::nullopt, as_int(total)};
}

}  // namespace

namespace {

// The calling thread's parser: its buffers are kept between pages (allocated once for the
// largest), and simdjson's parser is not thread-safe.
simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// Parses `body` in place: simdjson reads up to SIMDJSON_PADDING bytes beyond the end, so they
// are appended (zeroes, so nothing uninitialized is read) and taken off again. The element
// refers to the parser's own copy of the strings, not to `body`.
std::optional<element> parse_padded(simdjson::dom::parser& parser, std::string& body) {
  const size_t size = body.size();
  body.append(simdjson::SIMDJSON_PADDING, '\0');
  element root;
  const auto error = parser.parse(reinterpret_cast<const uint8_t*>(body.data()), size, false).get(root);
  body.resize(size);
  if (error != simdjson::SUCCESS) return std::nullopt;
  return root;
}

}  // namespace

std::optional<ItemsPage> fast_items_page(PageFormat format, std::string& body, std::string_view server) {
  auto root = parse_padded(thread_parser(), body);
  if (!root) return std::nullopt;
  const auto [list, total] = format == PageFormat::plex ? plex_list(*root) : mediabrowser_list(*root);
  ItemsPage page;
  page.total = total;
  if (list) {
    const simdjson::dom::array entries(*list);
    page.entries.reserve(entries.size());
    for (const element entry : entries)
      page.entries.push_back(format == PageFormat::plex ? read_plex_item(entry, server) : read_mediabrowser_item(entry, server));
  }
  return page;
}

std::optional<SeriesPage> fast_series_page(PageFormat format, std::string& body) {
  auto root = parse_padded(thread_parser(), body);
  if (!root) return std::nullopt;
  const bool plex = format == PageFormat::plex;
  const auto [list, total] = plex ? plex_list(*root) : mediabrowser_list(*root);
  SeriesPage page;
  page.total = total;
  if (list)
    for (const element entry : simdjson::dom::array(*list))
      page.entries.push_back({as_string(last_member(entry, plex ? "ratingKey" : "Id")),
                              plex ? read_plex_series(entry) : read_mediabrowser_series(entry)});
  return page;
}

}  // namespace ws
