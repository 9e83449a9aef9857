#include "ws/webhook_event.h"

#include <nlohmann/json.hpp>

namespace ws {

std::string_view to_string(WebhookKind kind) {
  switch (kind) {
    case WebhookKind::state_change: return "state_change";
    case WebhookKind::progress: return "progress";
    case WebhookKind::item_added: return "item_added";
    case WebhookKind::completed_play: return "completed_play";
    case WebhookKind::tainted_play: return "tainted_play";
    case WebhookKind::ignored: return "ignored";
  }
  return "ignored";
}

std::optional<WebhookKind> parse_webhook_kind(std::string_view text) {
  for (auto kind : {WebhookKind::state_change, WebhookKind::progress, WebhookKind::item_added,
                    WebhookKind::completed_play, WebhookKind::tainted_play, WebhookKind::ignored})
    if (to_string(kind) == text) return kind;
  return std::nullopt;
}

void to_json(nlohmann::json& j, const WebhookEvent& event) {
  j = nlohmann::json::object();
  j["type"] = to_string(event.type);
  j["server_id"] = event.server_id;
  j["server_name"] = event.server_name;
  j["user_id"] = event.user_id;
  j["user_name"] = event.user_name;
  j["event"] = event.event_name;
  j["kind"] = to_string(event.kind);
  if (event.kind == WebhookKind::ignored) j["ignore_reason"] = event.ignore_reason;
  j["event_time"] = event.event_time;
  j["event_id"] = event.event_id;
  j["item"] = event.item;
}

void from_json(const nlohmann::json& j, WebhookEvent& event) {
  event = WebhookEvent{};
  const std::string type = j.at("type").get<std::string>();
  const auto server_type = parse_server_type(type);
  if (!server_type) throw nlohmann::json::other_error::create(501, "event type '" + type + "' is not a server type", &j);
  event.type = *server_type;
  const std::string kind = j.at("kind").get<std::string>();
  const auto parsed = parse_webhook_kind(kind);
  if (!parsed) throw nlohmann::json::other_error::create(501, "event kind '" + kind + "' is unknown", &j);
  event.kind = *parsed;
  event.server_id = j.value("server_id", "");
  event.server_name = j.value("server_name", "");
  event.user_id = j.value("user_id", "");
  event.user_name = j.value("user_name", "");
  event.event_name = j.value("event", "");
  event.ignore_reason = j.value("ignore_reason", "");
  event.event_time = j.value("event_time", int64_t(0));
  event.event_id = j.value("event_id", "");
  event.item = j.at("item").get<MediaItem>();
}

}  // namespace ws
