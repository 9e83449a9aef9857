// Who may post webhooks, and which configured server a webhook speaks for (DESIGN §8).
//
// Keys. A request carries one key (`?apikey=` or `X-Apikey`). The global `webhook.apikey` may speak
// for every configured server; a server's own `webhook.token` (the seed's per-server key, still in
// users' webhook URLs) may speak only for the servers that carry that same token. Keys are
// compared in constant time (every key is compared in full, whatever matches).
//
// Senders. The event's server id (Plex Server.uuid, Jellyfin ServerId, Emby Server.Id) is matched
// against the servers' `uuid` (recorded by servers:test), ignoring case and dashes. A server of
// that type with no recorded uuid matches by type alone when it is the only server of that type
// (the caller logs the hint to run servers:test). Several servers may share one uuid (two users of
// one Jellyfin): then the user decides.
//
// Users. When the server has a `user`, the event's user id must equal it. With no `user`: a Plex
// server accepts only its owner's account — the recorded `owner_id` (the plex.tv account id that
// current PMS builds put in Account.id) or local account 1 (what older builds sent for the owner);
// shared and Home users' plays, which Plex also sends to the owner's webhook, are "other user".
// Jellyfin/Emby servers with no `user` (a configuration servers.yaml already warns about) accept
// any user. Item-added events are about the library, not a user: they skip the user check.
//
// A matched server with `webhook.import: false` is ignored. Thread-safe once built (immutable).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ws/config.h"
#include "ws/webhook_event.h"

namespace ws {

// Why a valid webhook is not taken; each is answered 200 with `X-Status: <code>: <sentence>`.
enum class IgnoreReason { event_not_used, sender_not_configured, other_user, import_disabled };
std::string_view to_string(IgnoreReason reason);

// The servers a key may speak for.
struct KeyScope {
  bool all_servers = false;          // the global webhook.apikey
  std::vector<std::string> servers;  // names, when not all
  bool allows(const std::string& server) const;
};

struct SenderMatch {
  const ServerConfig* server = nullptr;  // set when the event is for this server
  std::optional<IgnoreReason> ignored;   // set otherwise
  std::string sentence;                  // why it was ignored; no secret
  std::string hint;                      // for the log: what the user should do (run servers:test)
};

class WebhookSenders {
 public:
  WebhookSenders(std::string global_apikey, ServersFile servers);

  // The scope of `key`, or nullopt when it is none of the configured keys (or empty).
  std::optional<KeyScope> authorize(std::string_view key) const;
  // True when at least one key is configured (otherwise every request is refused).
  bool has_keys() const { return !keys_.empty(); }

  // The server the event speaks for, or why it is ignored. REQUIRES: event.kind != ignored.
  SenderMatch match(const WebhookEvent& event, const KeyScope& scope) const;

  const ServersFile& servers() const { return servers_; }

 private:
  struct Key {
    std::string secret;
    KeyScope scope;
  };
  std::vector<Key> keys_;
  ServersFile servers_;
};

// Server and user ids as the servers spell them differ in case and dashes (Jellyfin's UserId
// "5b7c…" vs "5B7C-…"); compared in this form.
std::string normalized_id(std::string_view id);

}  // namespace ws
