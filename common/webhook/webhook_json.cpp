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

const nlohmann::json* member(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

const nlohmann::json* object_member(const nlohmann::json& obj, std::string_view key) {
  const auto* m = member(obj, key);
  return m && m->is_object() ? m : nullptr;
}

std::string text_of(const nlohmann::json& obj, std::string_view key) {
  const auto* m = member(obj, key);
  if (!m) return {};
  if (m->is_string()) return m->get<std::string>();
  if (m->is_number_integer()) return std::to_string(m->get<int64_t>());
  if (m->is_number_unsigned()) return std::to_string(m->get<uint64_t>());
  if (m->is_number_float()) {
    const double d = m->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return std::to_string(static_cast<int64_t>(d));
    return m->dump();
  }
  if (m->is_boolean()) return m->get<bool>() ? "true" : "false";
  return {};
}

std::optional<int64_t> int_of(const nlohmann::json& obj, std::string_view key) {
  const auto* m = member(obj, key);
  if (!m) return std::nullopt;
  if (m->is_number_integer()) return m->get<int64_t>();
  if (m->is_number_unsigned()) {
    const uint64_t u = m->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (m->is_number_float()) {
    const double d = m->get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 9e18) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (m->is_string()) {
    const auto& s = m->get_ref<const std::string&>();
    std::string_view v = s;
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || v.empty()) return std::nullopt;
    if (ptr != v.data() + v.size()) {
      // "1234.0": a whole part followed by a fraction.
      if (*ptr != '.' || !std::all_of(ptr + 1, v.data() + v.size(), [](unsigned char c) { return std::isdigit(c); }))
        return std::nullopt;
    }
    return n;
  }
  return std::nullopt;
}

int small_int_of(const nlohmann::json& obj, std::string_view key, int fallback) {
  auto n = int_of(obj, key);
  if (!n || *n < INT32_MIN || *n > INT32_MAX) return fallback;
  return static_cast<int>(*n);
}

std::optional<bool> bool_of(const nlohmann::json& obj, std::string_view key) {
  const auto* m = member(obj, key);
  if (!m) return std::nullopt;
  if (m->is_boolean()) return m->get<bool>();
  if (m->is_number()) {
    auto n = int_of(obj, key);
    if (n && (*n == 0 || *n == 1)) return *n == 1;
    return std::nullopt;
  }
  if (m->is_string()) {
    std::string s = m->get<std::string>();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "true" || s == "1") return true;
    if (s == "false" || s == "0") return false;
  }
  return std::nullopt;
}

int64_t date_of(const nlohmann::json& obj, std::string_view key) {
  const auto* m = member(obj, key);
  if (!m || !m->is_string()) return 0;
  return iso_time::parse(m->get_ref<const std::string&>()).value_or(0);
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
  type_name = text_of(item, "Type");
  out.item_id = text_of(item, "Id");
  out.series_id = text_of(item, "SeriesId");
  // The library is not part of the item: library_id stays empty.
  const bool episode = type_name == "Episode";
  out.type = episode ? MediaType::episode : MediaType::movie;
  if (episode) {
    out.title = text_of(item, "SeriesName");
    out.episode_title = text_of(item, "Name");
    out.season = small_int_of(item, "ParentIndexNumber", -1);
    out.episode = small_int_of(item, "IndexNumber", -1);
    out.episode_end = small_int_of(item, "IndexNumberEnd", -1);
  } else {
    out.title = text_of(item, "Name");
  }
  out.year = small_int_of(item, "ProductionYear", 0);
  if (const auto* ids = object_member(item, "ProviderIds")) add_provider_ids(out.guids, *ids);
  out.added_at = date_of(item, "DateCreated");
  out.path = text_of(item, "Path");
  // Emby puts the user's state in UserData; some senders flatten Played onto the item.
  const nlohmann::json* user_data = object_member(item, "UserData");
  const nlohmann::json& ud = user_data ? *user_data : item;
  out.watched = bool_of(ud, "Played").value_or(bool_of(item, "Played").value_or(false));
  out.played_at = date_of(ud, "LastPlayedDate");
  out.play_count = std::max(0, small_int_of(ud, "PlayCount", 0));
  out.progress_ms = iso_time::ms_from_ticks(int_of(ud, "PlaybackPositionTicks").value_or(0));
}

}  // namespace ws::webhook_detail
