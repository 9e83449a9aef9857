#include "ws/webhook_intake.h"

#include "ws/webhook_parser.h"

namespace ws {
namespace {

const std::string* find(const std::map<std::string, std::string>& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

IntakeDecision answer(int status, std::string_view code, std::string_view sentence) {
  IntakeDecision d;
  d.status = status;
  d.x_status = header_safe(std::string(code) + ": " + std::string(sentence));
  return d;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string header_safe(std::string_view text, size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (char c : text) {
    if (out.size() >= max) break;
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  return out;
}

IntakeDecision check_head(const IntakeRequest& request, const WebhookSenders& senders, size_t max_body) {
  const std::string* type_text = find(request.query, "type");
  const auto type = type_text ? parse_server_type(lowercase(*type_text)) : std::nullopt;
  const auto refuse = [&type](int status, std::string_view code, std::string_view sentence) {
    IntakeDecision d = answer(status, code, sentence);
    d.type = type;  // for the metrics only; nothing about it is said to an unknown caller
    return d;
  };
  const std::string* key = find(request.query, "apikey");
  if (!key || key->empty()) key = find(request.headers, "x-apikey");
  if (!key || key->empty())
    return refuse(401, "unauthorized", "no key given (add ?apikey=KEY to the URL, or an X-Apikey header)");
  if (!senders.authorize(*key)) return refuse(401, "unauthorized", "the key is not valid");

  if (!type_text || type_text->empty())
    return answer(400, "bad_request", "no type given (add ?type=plex, ?type=jellyfin or ?type=emby to the URL)");
  if (!type)
    return answer(400, "bad_request", "type '" + header_safe(*type_text, 40) + "' is not plex, jellyfin or emby");

  const auto too_large = [&] {
    IntakeDecision d = answer(413, "too_large", "the body is over " + std::to_string(max_body) + " bytes (webhook.max_body)");
    d.type = type;
    return d;
  };
  if (request.content_length && *request.content_length > max_body) return too_large();
  if (request.body_too_long || request.body.size() > max_body) return too_large();
  IntakeDecision go_on;
  go_on.type = type;
  return go_on;
}

IntakeDecision decide(const IntakeRequest& request, const WebhookSenders& senders, size_t max_body) {
  IntakeDecision head = check_head(request, senders, max_body);
  if (head.status != 0) return head;
  const ServerType type = *head.type;
  const std::string* key = find(request.query, "apikey");
  if (!key || key->empty()) key = find(request.headers, "x-apikey");
  const KeyScope scope = *senders.authorize(*key);

  WebhookRequest webhook;
  if (const auto* v = find(request.headers, "content-type")) webhook.content_type = *v;
  if (const auto* v = find(request.headers, "user-agent")) webhook.user_agent = *v;
  webhook.body = request.body;
  webhook.received_at = request.received_at;
  auto parsed = parse_webhook(type, webhook);
  IntakeDecision d;
  if (!parsed) {
    d = answer(400, "bad_request", "malformed " + std::string(to_string(type)) + " webhook: " + parsed.error().message);
    d.type = type;
    return d;
  }
  WebhookEvent& event = *parsed;
  if (event.kind == WebhookKind::ignored) {
    d = answer(200, to_string(IgnoreReason::event_not_used), event.ignore_reason);
    d.type = type;
    d.ignored = IgnoreReason::event_not_used;
    return d;
  }
  SenderMatch match = senders.match(event, scope);
  if (!match.server) {
    d = answer(200, to_string(*match.ignored), match.sentence);
    d.type = type;
    d.ignored = match.ignored;
    d.log_hint = std::move(match.hint);
    return d;
  }
  const std::string server = match.server->name;
  event.item.server = server;
  d = answer(202, "accepted", std::string(to_string(event.kind)) + " " + event.event_name + " for " + server);
  d.type = type;
  d.log_hint = std::move(match.hint);
  d.accepted = AcceptedEvent{server, request.received_at, std::move(event)};
  return d;
}

}  // namespace ws
