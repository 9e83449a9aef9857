#include "webhook_json.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "ws/iso_time.h"
#include "ws/webhook_parser.h"

namespace ws::webhook_detail {
namespace {

using namespace lenient;  // the servers' JSON is read leniently (ws/json_fields.h)

// Deepest bracket nesting outside strings; stops counting past `limit`.
int json_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

// FNV-1a, 64 bits: stable across runs and machines (std::hash is not).
uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  // A separator so ("ab","c") and ("a","bc") differ.
  h ^= 0xff;
  h *= 1099511628211ULL;
  return h;
}

}  // namespace

Result<nlohmann::json> parse_json_object(std::string_view text, std::string_view what) {
  if (json_depth(text, kMaxWebhookJsonDepth) > kMaxWebhookJsonDepth)
    return make_error(ErrorKind::invalid_input, std::string(what) + " nests JSON deeper than " +
                                                    std::to_string(kMaxWebhookJsonDepth) + " levels");
  auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    const bool blank = std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); });
    return make_error(ErrorKind::invalid_input,
                      std::string(what) + (blank ? " is empty" : " is not valid JSON"));
  }
  if (!j.is_object())
    return make_error(ErrorKind::invalid_input, std::string(what) + " is JSON but not an object");
  return j;
}

void set_event_id(WebhookEvent& event, int64_t content_date) {
  uint64_t h = 14695981039346656037ULL;
  h = fnv1a(h, to_string(event.type));
  h = fnv1a(h, event.server_id);
  h = fnv1a(h, event.user_id);
  h = fnv1a(h, event.event_name);
  h = fnv1a(h, event.item.item_id);
  h = fnv1a(h, std::to_string(content_date));
  h = fnv1a(h, std::to_string(event.item.progress_ms));
  h = fnv1a(h, std::to_string(event.item.play_count));
  h = fnv1a(h, event.item.watched ? "1" : "0");
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  event.event_id = buf;
}

std::string printable(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > max) out += "...";
  return out;
}

void ignore(WebhookEvent& event, std::string reason) {
  event.kind = WebhookKind::ignored;
  event.ignore_reason = std::move(reason);
}

std::optional<Error> check_body_size(const WebhookRequest& request, std::string_view what) {
  if (request.body.size() > kMaxWebhookBodyBytes)
    return make_error(ErrorKind::invalid_input, std::string(what) + " webhook body of " +
                                                    std::to_string(request.body.size()) + " bytes is over the " +
                                                    std::to_string(kMaxWebhookBodyBytes) + " byte limit");
  if (request.body.empty())
    return make_error(ErrorKind::invalid_input, std::string(what) + " webhook body is empty");
  return std::nullopt;
}

void read_mediabrowser_item(const nlohmann::json& item, MediaItem& out, std::string& type_name) {
  type_name = get_string(item, "Type").value_or("");
  out.item_id = get_string(item, "Id").value_or("");
  out.series_id = get_string(item, "SeriesId").value_or("");
  // The library is not part of the item: library_id stays empty.
  const bool episode = type_name == "Episode";
  out.type = episode ? MediaType::episode : MediaType::movie;
  if (episode) {
    out.title = get_string(item, "SeriesName").value_or("");
    out.episode_title = get_string(item, "Name").value_or("");
    out.season = get_int32(item, "ParentIndexNumber").value_or(-1);
    out.episode = get_int32(item, "IndexNumber").value_or(-1);
    out.episode_end = get_int32(item, "IndexNumberEnd").value_or(-1);
  } else {
    out.title = get_string(item, "Name").value_or("");
  }
  out.year = get_int32(item, "ProductionYear").value_or(0);
  if (const auto* ids = object_member(item, "ProviderIds")) add_provider_ids(out.guids, *ids);
  out.added_at = get_date(item, "DateCreated").value_or(0);
  out.path = get_string(item, "Path").value_or("");
  // Emby puts the user's state in UserData; some senders flatten Played onto the item.
  const nlohmann::json* user_data = object_member(item, "UserData");
  const nlohmann::json& ud = user_data ? *user_data : item;
  out.watched = get_bool(ud, "Played").value_or(get_bool(item, "Played").value_or(false));
  out.played_at = get_date(ud, "LastPlayedDate").value_or(0);
  out.play_count = std::max(0, get_int32(ud, "PlayCount").value_or(0));
  out.progress_ms = iso_time::ms_from_ticks(get_int(ud, "PlaybackPositionTicks").value_or(0));
}

}  // namespace ws::webhook_detail
