// Emby webhooks (Emby Premiere, DESIGN §11): multipart/form-data with the JSON in form field
// `data`, or a raw JSON body (4.9 option). `Item` is a full item, the same shape as the API's.
#include <string>

#include "webhook_json.h"
#include "ws/iso_time.h"
#include "ws/multipart.h"
#include "ws/webhook_parser.h"

namespace ws {
namespace {

using nlohmann::json;
using namespace webhook_detail;
using namespace lenient;  // the servers' JSON is read leniently (ws/json_fields.h)

// The JSON text of the request: the `data` part of a multipart body, or the body itself.
Result<std::string> emby_json_text(const WebhookRequest& request) {
  if (!is_multipart_form(request.content_type)) return request.body;
  auto boundary = multipart_boundary(request.content_type);
  if (!boundary) return make_error(ErrorKind::invalid_input, "Emby webhook: " + boundary.error().message);
  auto parts = parse_multipart(request.body, *boundary);
  if (!parts) return make_error(ErrorKind::invalid_input, "Emby webhook: " + parts.error().message);
  const MultipartPart* data = find_part(*parts, "data");
  if (!data) return make_error(ErrorKind::invalid_input, "the Emby multipart webhook has no 'data' field");
  if (data->skipped)
    return make_error(ErrorKind::invalid_input,
                      "the Emby webhook's data field is binary (" + printable(data->content_type) + "), not JSON");
  return data->body;
}

std::optional<WebhookKind> emby_event_kind(std::string_view event) {
  if (event == "item.markplayed" || event == "item.markunplayed") return WebhookKind::state_change;
  if (event == "playback.start" || event == "playback.pause" || event == "playback.unpause" ||
      event == "playback.stop")
    return WebhookKind::tainted_play;
  if (event == "library.new") return WebhookKind::item_added;
  return std::nullopt;
}

}  // namespace

Result<WebhookEvent> parse_emby_webhook(const WebhookRequest& request) {
  if (auto err = check_body_size(request, "the Emby")) return *err;
  auto text = emby_json_text(request);
  if (!text) return text.error();
  auto body = parse_json_object(*text, is_multipart_form(request.content_type) ? "the Emby data field"
                                                                               : "the Emby webhook body");
  if (!body) return body.error();
  const json& j = *body;

  WebhookEvent event;
  event.type = ServerType::emby;
  event.event_name = get_string(j, "Event").value_or("");
  if (event.event_name.empty()) return make_error(ErrorKind::invalid_input, "the Emby webhook has no Event");
  if (const auto* server = object_member(j, "Server")) {
    event.server_id = get_string(*server, "Id").value_or("");
    event.server_name = get_string(*server, "Name").value_or("");
  }
  if (const auto* user = object_member(j, "User")) {
    event.user_id = get_string(*user, "Id").value_or("");
    event.user_name = get_string(*user, "Name").value_or("");
  }
  const int64_t sent_at = get_date(j, "Date").value_or(0);
  event.event_time = sent_at > 0 ? sent_at : request.received_at;

  const json* item = object_member(j, "Item");
  std::string type;
  if (item) read_mediabrowser_item(*item, event.item, type);
  const json* playback = object_member(j, "PlaybackInfo");
  if (playback) {
    if (auto ticks = get_int(*playback, "PositionTicks")) event.item.progress_ms = iso_time::ms_from_ticks(*ticks);
  }

  const std::string& name = event.event_name;
  auto kind = emby_event_kind(name);
  if (!kind) {
    ignore(event, name == "system.notificationtest" ? "Emby notification test"
                                                    : "Emby event '" + name + "' is not about watch state");
  } else if (!item) {
    return make_error(ErrorKind::invalid_input, "the Emby " + name + " webhook has no Item object");
  } else if (type != "Movie" && type != "Episode") {
    ignore(event, "Emby " + name + " is about " + (type.empty() ? "an item without a Type" : "a '" + type + "'") +
                      ", not a movie or an episode");
  } else if (event.item.item_id.empty()) {
    return make_error(ErrorKind::invalid_input, "the Emby " + name + " webhook's Item has no Id");
  } else {
    event.kind = *kind;
    if (name == "item.markplayed") {
      event.item.watched = true;
      if (event.item.played_at == 0) event.item.played_at = event.event_time;
    } else if (name == "item.markunplayed") {
      event.item.watched = false;
      event.item.played_at = 0;
    } else if (name == "playback.stop" && playback && get_bool(*playback, "PlayedToCompletion").value_or(false)) {
      // The one stop that is a play (rule 3): the server itself says it was played to the end.
      event.kind = WebhookKind::completed_play;
      event.item.watched = true;
      if (event.event_time > 0) event.item.played_at = event.event_time;
    }
  }
  set_event_id(event, sent_at);
  return event;
}

}  // namespace ws
