// A fake server's own webhooks, in the real server's framing (DESIGN §8, §11):
//   Plex:     multipart/form-data, JSON in part "payload", a JPEG part "thumb" on some events,
//             User-Agent PlexMediaServer/…
//   Jellyfin: the webhook plugin's flat JSON ("Send All Properties"), posted as text/plain, with
//             Provider_<source> keys, null values and Video_0_*/Audio_0_* noise,
//             User-Agent Jellyfin-Server/…
//   Emby:     multipart/form-data with the JSON in field "data" (or, framing "json", a raw
//             application/json body), User-Agent Emby Server/…
// The payload describes the item's current state in the fake (after any /__fake/act).
#pragma once

#include <optional>
#include <string>

#include "fake_server.h"
#include "ws/result.h"

namespace ws::fake {

struct WebhookRequest {
  std::string url;                          // http://host:port/path?query
  std::string event;                        // the server's own event name
  std::string item;                         // the server's item id
  std::string framing;                      // Emby: "multipart" (default) or "json"
  std::string save_reason;                  // Jellyfin UserDataSaved (default TogglePlayed)
  std::optional<bool> played_to_completion; // playback stop (default: the item is played)
  std::optional<int64_t> position_ms;       // playback events (default: the item's position)
};

struct WebhookPayload {
  std::string content_type;
  std::string user_agent;
  std::string body;
};

struct WebhookResult {
  int status = 0;
  std::string body;  // the receiver's answer, first 1,000 bytes
};

Result<WebhookPayload> build_webhook(FakeServer& server, const WebhookRequest& request);
// Posts the payload; an error names the URL (never a token in it) when no answer came.
Result<WebhookResult> post_webhook(const std::string& url, const WebhookPayload& payload);

}  // namespace ws::fake
