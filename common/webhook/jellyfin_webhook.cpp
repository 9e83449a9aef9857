// Jellyfin webhooks (the webhook plugin's Generic destination with "Send All Properties",
// DESIGN §11): one flat JSON object, often posted as text/plain, with nulls and noise keys.
#include <algorithm>
#include <cctype>
#include <string>

#include "webhook_json.h"
#include "ws/iso_time.h"
#include "ws/multipart.h"
#include "ws/text.h"
#include "ws/webhook_parser.h"

namespace ws {
namespace {

using nlohmann::json;
using namespace webhook_detail;
using namespace lenient;  // the servers' JSON is read leniently (ws/json_fields.h)

// The plugin may format GUIDs with dashes or in capitals; the API uses 32 lowercase hex digits.
// Anything that is not a GUID is kept as sent.
std::string jellyfin_id(std::string id) {
  std::string compact;
  for (char c : id)
    if (c != '-') compact.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  const bool guid = compact.size() == 32 &&
                    std::all_of(compact.begin(), compact.end(), [](unsigned char c) { return std::isxdigit(c); });
  return guid ? compact : id;
}

// Provider_<source> keys (any case of the prefix) -> the item's ids; SeriesProvider_<source>,
// when a template adds them, -> the series' ids.
void read_provider_keys(const json& j, MediaItem& item) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    Guids* target = nullptr;
    std::string_view source;
    if (starts_with_nocase(key, "Provider_")) {
      target = &item.guids;
      source = std::string_view(key).substr(9);
    } else if (starts_with_nocase(key, "SeriesProvider_")) {
      target = &item.parent;
      source = std::string_view(key).substr(15);
    } else {
      continue;
    }
    const std::string value = get_string(j, key).value_or("");
    const std::string canonical = canonical_source(source);
    if (!value.empty() && !canonical.empty()) add_guid(*target, canonical, value);
  }
}

void read_item(const json& j, MediaItem& item, const std::string& type) {
  const bool episode = type == "Episode";
  item.type = episode ? MediaType::episode : MediaType::movie;
  item.item_id = jellyfin_id(get_string(j, "ItemId").value_or(""));
  if (episode) {
    item.series_id = jellyfin_id(get_string(j, "SeriesId").value_or(""));
    item.title = get_string(j, "SeriesName").value_or("");
    item.episode_title = get_string(j, "Name").value_or("");
    item.season = get_int32(j, "SeasonNumber").value_or(-1);
    item.episode = get_int32(j, "EpisodeNumber").value_or(-1);
    item.episode_end = get_int32(j, "EpisodeNumberEnd").value_or(-1);
  } else {
    item.title = get_string(j, "Name").value_or("");
  }
  item.year = get_int32(j, "Year").value_or(0);
  read_provider_keys(j, item);
  item.watched = get_bool(j, "Played").value_or(false);
  item.play_count = std::max(0, get_int32(j, "PlayCount").value_or(0));
  item.played_at = get_date(j, "LastPlayedDate").value_or(0);
  item.progress_ms = iso_time::ms_from_ticks(get_int(j, "PlaybackPositionTicks").value_or(0));
}

}  // namespace

Result<WebhookEvent> parse_jellyfin_webhook(const WebhookRequest& request) {
  if (auto err = check_body_size(request, "the Jellyfin")) return *err;
  if (is_multipart_form(request.content_type))
    return make_error(ErrorKind::invalid_input,
                      "a Jellyfin webhook is one JSON object (application/json or text/plain), not multipart/form-data");
  auto body = parse_json_object(request.body, "the Jellyfin webhook body");
  if (!body) return body.error();
  const json& j = *body;

  WebhookEvent event;
  event.type = ServerType::jellyfin;
  event.event_name = get_string(j, "NotificationType").value_or("");
  if (event.event_name.empty())
    return make_error(ErrorKind::invalid_input,
                      "the Jellyfin webhook has no NotificationType (is \"Send All Properties\" on?)");
  event.server_id = jellyfin_id(get_string(j, "ServerId").value_or(""));
  event.server_name = get_string(j, "ServerName").value_or("");
  event.user_id = jellyfin_id(get_string(j, "UserId").value_or(""));
  event.user_name = get_string(j, "NotificationUsername").value_or("");
  const int64_t sent_at = get_date(j, "UtcTimestamp").value_or(0);
  event.event_time = sent_at > 0 ? sent_at : request.received_at;

  const std::string type = get_string(j, "ItemType").value_or("");
  read_item(j, event.item, type);
  const std::string& name = event.event_name;
  std::optional<WebhookKind> kind;
  if (name == "ItemAdded") {
    kind = WebhookKind::item_added;
  } else if (name == "PlaybackStart" || name == "PlaybackStop") {
    kind = WebhookKind::tainted_play;
  } else if (name == "PlaybackProgress") {
    kind = WebhookKind::progress;
  } else if (name == "UserDataSaved") {
    const std::string reason = get_string(j, "SaveReason").value_or("");
    const auto played = get_bool(j, "Played");
    if (reason == "TogglePlayed") {
      if (!played)
        return make_error(ErrorKind::invalid_input,
                          "the Jellyfin UserDataSaved (TogglePlayed) webhook has no Played value");
      kind = WebhookKind::state_change;
      event.item.watched = *played;
      if (!*played) event.item.played_at = 0;
    } else if (reason == "PlaybackFinished" && played.value_or(false)) {
      kind = WebhookKind::completed_play;
      event.item.watched = true;
      if (event.item.played_at == 0) event.item.played_at = event.event_time;
    } else {
      // Everything else, PlaybackFinished with Played false included, is a progress save: it must
      // never be read as an unmark.
      kind = WebhookKind::progress;
    }
  }

  if (!kind) {
    ignore(event, "Jellyfin notification '" + name + "' is not about watch state");
  } else if (type != "Movie" && type != "Episode") {
    ignore(event, "Jellyfin " + name + " is about " + (type.empty() ? "an item without an ItemType" : "a '" + type + "'") +
                      ", not a movie or an episode");
  } else if (event.item.item_id.empty()) {
    return make_error(ErrorKind::invalid_input, "the Jellyfin " + name + " webhook has no ItemId");
  } else {
    event.kind = *kind;
  }
  set_event_id(event, sent_at > 0 ? sent_at : event.item.played_at);
  return event;
}

}  // namespace ws
