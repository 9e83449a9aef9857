// Plex webhooks (DESIGN §11, Plex): multipart/form-data, JSON in part `payload`, a `thumb` JPEG
// part on some events. No event carries its own date, and none is sent for a manual mark.
#include <string>

#include "webhook_json.h"
#include "ws/multipart.h"
#include "ws/webhook_parser.h"

namespace ws {
namespace {

using nlohmann::json;
using namespace webhook_detail;
using namespace lenient;  // the servers' JSON is read leniently (ws/json_fields.h)

// Which events touch watch state, and how.
std::optional<WebhookKind> plex_event_kind(std::string_view event) {
  if (event == "media.scrobble") return WebhookKind::completed_play;
  if (event == "media.play" || event == "media.pause" || event == "media.resume" || event == "media.stop")
    return WebhookKind::tainted_play;
  if (event == "library.new") return WebhookKind::item_added;
  return std::nullopt;
}

std::string plex_ignore_reason(std::string_view event) {
  if (event == "media.rate") return "Plex media.rate is a rating, not watch state";
  if (event == "library.on.deck") return "Plex library.on.deck carries no watch state";
  return "Plex event '" + std::string(event) + "' is not about watch state";
}

// The first Media[].Part[].file, or "".
std::string first_file(const json& metadata) {
  const auto* media = member(metadata, "Media");
  if (!media || !media->is_array()) return {};
  for (const auto& m : *media) {
    const auto* parts = member(m, "Part");
    if (!parts || !parts->is_array()) continue;
    for (const auto& p : *parts) {
      std::string file = get_string(p, "file").value_or("");
      if (!file.empty()) return file;
    }
  }
  return {};
}

// Metadata (the same fields as a library item) -> MediaItem.
void read_metadata(const json& md, MediaItem& item) {
  const bool episode = get_string(md, "type").value_or("") == "episode";
  item.type = episode ? MediaType::episode : MediaType::movie;
  item.item_id = get_string(md, "ratingKey").value_or("");
  item.library_id = get_string(md, "librarySectionID").value_or("");
  item.year = get_int32(md, "year").value_or(0);
  if (episode) {
    item.series_id = get_string(md, "grandparentRatingKey").value_or("");
    item.title = get_string(md, "grandparentTitle").value_or("");
    item.episode_title = get_string(md, "title").value_or("");
    item.season = get_int32(md, "parentIndex").value_or(-1);
    item.episode = get_int32(md, "index").value_or(-1);
    const std::string series_guid = get_string(md, "grandparentGuid").value_or("");
    if (!series_guid.empty()) add_plex_guid(item.parent, series_guid);
  } else {
    item.title = get_string(md, "title").value_or("");
  }
  if (const auto* guids = member(md, "Guid"); guids && guids->is_array()) {
    for (const auto& g : *guids) {
      const std::string id = get_string(g, "id").value_or("");
      if (!id.empty()) add_plex_guid(item.guids, id);
    }
  }
  const std::string legacy = get_string(md, "guid").value_or("");
  if (!legacy.empty()) add_plex_guid(item.guids, legacy, episode ? &item.relative : nullptr);
  item.play_count = std::max(0, get_int32(md, "viewCount").value_or(0));
  item.watched = item.play_count > 0;
  item.played_at = std::max<int64_t>(0, get_int(md, "lastViewedAt").value_or(0));
  item.added_at = std::max<int64_t>(0, get_int(md, "addedAt").value_or(0));
  item.progress_ms = std::max<int64_t>(0, get_int(md, "viewOffset").value_or(0));
  item.path = first_file(md);
}

}  // namespace

Result<WebhookEvent> parse_plex_webhook(const WebhookRequest& request) {
  if (auto err = check_body_size(request, "the Plex")) return *err;
  if (!is_multipart_form(request.content_type))
    return make_error(ErrorKind::invalid_input,
                      "a Plex webhook is multipart/form-data with a payload part; got content type '" +
                          printable(request.content_type) + "'");
  auto boundary = multipart_boundary(request.content_type);
  if (!boundary) return make_error(ErrorKind::invalid_input, "Plex webhook: " + boundary.error().message);
  auto parts = parse_multipart(request.body, *boundary);
  if (!parts) return make_error(ErrorKind::invalid_input, "Plex webhook: " + parts.error().message);
  const MultipartPart* payload = find_part(*parts, "payload");
  if (!payload) return make_error(ErrorKind::invalid_input, "the Plex webhook has no 'payload' part");
  if (payload->skipped)
    return make_error(ErrorKind::invalid_input, "the Plex webhook's payload part is binary (" +
                                                    printable(payload->content_type) + "), not JSON");
  auto body = parse_json_object(payload->body, "the Plex payload part");
  if (!body) return body.error();
  const json& j = *body;

  WebhookEvent event;
  event.type = ServerType::plex;
  event.event_name = get_string(j, "event").value_or("");
  if (event.event_name.empty()) return make_error(ErrorKind::invalid_input, "the Plex payload has no event");
  if (const auto* server = object_member(j, "Server")) {
    event.server_id = get_string(*server, "uuid").value_or("");
    event.server_name = get_string(*server, "title").value_or("");
  }
  if (const auto* account = object_member(j, "Account")) {
    event.user_id = get_string(*account, "id").value_or("");
    event.user_name = get_string(*account, "title").value_or("");
  }
  event.event_time = request.received_at;  // Plex sends no event date

  const json* metadata = object_member(j, "Metadata");
  if (metadata) read_metadata(*metadata, event.item);
  const auto kind = plex_event_kind(event.event_name);
  if (!kind) {
    ignore(event, plex_ignore_reason(event.event_name));
  } else if (!metadata) {
    return make_error(ErrorKind::invalid_input, "the Plex " + event.event_name + " payload has no Metadata object");
  } else if (const std::string type = get_string(*metadata, "type").value_or(""); type != "movie" && type != "episode") {
    ignore(event, "Plex " + event.event_name + " is about a " + (type.empty() ? "item without a type" : "'" + type + "'") +
                      ", not a movie or an episode");
  } else if (event.item.item_id.empty()) {
    return make_error(ErrorKind::invalid_input, "the Plex " + event.event_name + " Metadata has no ratingKey");
  } else {
    event.kind = *kind;
    if (*kind == WebhookKind::completed_play) {
      // A scrobble is the play itself: Plex stamps it "now", and the payload's lastViewedAt may
      // still be the previous play's date.
      event.item.watched = true;
      if (request.received_at > 0) event.item.played_at = request.received_at;
    }
  }
  set_event_id(event, metadata ? get_int(*metadata, "lastViewedAt").value_or(0) : 0);
  return event;
}

}  // namespace ws
