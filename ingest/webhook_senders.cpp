#include "ws/webhook_senders.h"

#include <algorithm>
#include <cctype>

namespace ws {
namespace {

// Compares every byte of the longer string whatever differs first, so the time taken says
// nothing about how much of a key was right.
bool constant_time_equal(std::string_view given, std::string_view secret) {
  volatile unsigned char diff = given.size() != secret.size() ? 1 : 0;
  const size_t n = std::max(given.size(), secret.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char a = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    const unsigned char b = i < secret.size() ? static_cast<unsigned char>(secret[i]) : 0;
    diff = diff | static_cast<unsigned char>(a ^ b);
  }
  return diff == 0;
}

bool same_id(std::string_view a, std::string_view b) { return !a.empty() && normalized_id(a) == normalized_id(b); }

std::string names_of(const std::vector<const ServerConfig*>& servers) {
  std::string out;
  for (const auto* s : servers) out += (out.empty() ? "" : ", ") + s->name;
  return out;
}

// Plex with no `user`: the owner's account, by its recorded id or by local id 1.
bool is_plex_owner(const ServerConfig& server, const std::string& account) {
  return account == "1" || (!server.owner_id.empty() && account == server.owner_id);
}

// Whether `server` takes events of `user_id`.
bool takes_user(const ServerConfig& server, const std::string& user_id) {
  if (!server.user.empty()) {
    if (same_id(user_id, server.user)) return true;
    // An older PMS names its owner 1 even when `user` holds the owner's plex.tv id.
    return server.type == ServerType::plex && user_id == "1" && !server.owner_id.empty() &&
           server.user == server.owner_id;
  }
  if (server.type == ServerType::plex) return is_plex_owner(server, user_id);
  return true;
}

SenderMatch ignored(IgnoreReason reason, std::string sentence, std::string hint = {}) {
  SenderMatch m;
  m.ignored = reason;
  m.sentence = std::move(sentence);
  m.hint = std::move(hint);
  return m;
}

}  // namespace

std::string_view to_string(IgnoreReason reason) {
  switch (reason) {
    case IgnoreReason::event_not_used: return "event_not_used";
    case IgnoreReason::sender_not_configured: return "sender_not_configured";
    case IgnoreReason::other_user: return "other_user";
    case IgnoreReason::import_disabled: return "import_disabled";
  }
  return "event_not_used";
}

std::string normalized_id(std::string_view id) {
  std::string out;
  out.reserve(id.size());
  for (char c : id) {
    if (c == '-' || c == '{' || c == '}' || c == ' ') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool KeyScope::allows(const std::string& server) const {
  return all_servers || std::find(servers.begin(), servers.end(), server) != servers.end();
}

WebhookSenders::WebhookSenders(std::string global_apikey, ServersFile servers) : servers_(std::move(servers)) {
  if (!global_apikey.empty()) keys_.push_back({std::move(global_apikey), KeyScope{true, {}}});
  for (const auto& s : servers_.servers) {
    if (s.webhook_token.empty()) continue;
    auto it = std::find_if(keys_.begin(), keys_.end(), [&](const Key& k) { return k.secret == s.webhook_token; });
    if (it == keys_.end()) {
      keys_.push_back({s.webhook_token, KeyScope{false, {s.name}}});
    } else if (!it->scope.all_servers) {
      it->scope.servers.push_back(s.name);
    }
  }
}

std::optional<KeyScope> WebhookSenders::authorize(std::string_view key) const {
  std::optional<KeyScope> scope;
  if (key.empty()) return scope;
  // Every key is compared, found or not: the time taken does not say which one matched.
  for (const auto& k : keys_) {
    if (constant_time_equal(key, k.secret)) scope = k.scope;
  }
  return scope;
}

SenderMatch WebhookSenders::match(const WebhookEvent& event, const KeyScope& scope) const {
  const std::string type(to_string(event.type));
  std::vector<const ServerConfig*> of_type;
  for (const auto& s : servers_.servers)
    if (s.type == event.type) of_type.push_back(&s);
  if (of_type.empty())
    return ignored(IgnoreReason::sender_not_configured, "no " + type + " server is configured in servers.yaml");

  std::vector<const ServerConfig*> candidates;
  for (const auto* s : of_type)
    if (same_id(event.server_id, s->uuid)) candidates.push_back(s);
  std::string hint;
  if (candidates.empty()) {
    if (of_type.size() == 1 && of_type[0]->uuid.empty()) {
      candidates.push_back(of_type[0]);
      hint = of_type[0]->name + " has no recorded uuid and was matched as the only " + type +
             " server; run `watchstate servers:test " + of_type[0]->name + "` to record it";
    } else {
      const std::string sender = event.server_id.empty() ? "a " + type + " server that gave no id"
                                                         : type + " server " + event.server_id;
      return ignored(IgnoreReason::sender_not_configured,
                     sender + " is none of the configured " + type + " servers (" + names_of(of_type) + ")",
                     "if it should be, run `watchstate servers:test` to record the servers' ids");
    }
  }

  std::vector<const ServerConfig*> allowed;
  for (const auto* s : candidates)
    if (scope.allows(s->name)) allowed.push_back(s);
  if (allowed.empty()) {
    std::string owners;
    for (const auto& name : scope.servers) owners += (owners.empty() ? "" : ", ") + name;
    return ignored(IgnoreReason::sender_not_configured,
                   "the key given is the webhook.token of " + owners + ", not of " + names_of(candidates) +
                       ", which sent this; use webhook.apikey or that server's own token");
  }

  const ServerConfig* chosen = nullptr;
  if (event.kind == WebhookKind::item_added) {
    // About the library: any user of the server will do, preferably one taking webhooks.
    chosen = allowed.front();
    for (const auto* s : allowed)
      if (s->webhook_import) {
        chosen = s;
        break;
      }
  } else {
    // A server naming the user exactly wins over one with no `user`.
    for (const auto* s : allowed)
      if (!s->user.empty() && takes_user(*s, event.user_id)) chosen = chosen ? chosen : s;
    for (const auto* s : allowed)
      if (!chosen && s->user.empty() && takes_user(*s, event.user_id)) chosen = s;
  }
  if (!chosen) {
    const std::string who = event.user_id.empty() ? "an event that names no user" : "user " + event.user_id;
    const ServerConfig& first = *allowed.front();
    if (first.type == ServerType::plex && first.user.empty()) {
      const bool unrecorded = first.owner_id.empty();
      return ignored(IgnoreReason::other_user,
                     "Plex account " + (event.user_id.empty() ? std::string("(none)") : event.user_id) +
                         " is not the owner of " + names_of(allowed) +
                         (unrecorded ? " (no owner account recorded)" : ""),
                     unrecorded ? "run `watchstate servers:test " + first.name +
                                      "` to record the owner's account id; until then only account 1 counts as the owner"
                                : "");
    }
    return ignored(IgnoreReason::other_user, who + " is not the user of " + names_of(allowed));
  }
  if (!chosen->webhook_import)
    return ignored(IgnoreReason::import_disabled, chosen->name + " has webhook.import: false");
  SenderMatch m;
  m.server = chosen;
  m.hint = std::move(hint);
  return m;
}

}  // namespace ws
