// A fake server's own webhooks, in the real server's framing (DESIGN §8, §11):
//   Plex:     multipart/form-data, JSON in part "payload", a JPEG part "thumb" on some events,
//             User-Agent PlexMediaServer/…
//   Jellyfin: the webhook plugin's flat JSON ("Send All Properties"), posted as text/plain, with
//             Provider_<source> keys, null values and Video_0_*/Audio_0_* noise,
//             User-Agent Jellyfin-Server/…
//   Emby:     multipart/form-data with the JSON in field "data" (or, framing "json", a raw
//             application/json body), User-Agent Emby Server/…
// The payload describes the item's current state in the fake (after any /__fake/act). Optional
// fields the caller leaves out follow the item's last /__fake/act, as the real server fills them:
//   Jellyfin UserDataSaved: SaveReason TogglePlayed after play/unplay, PlaybackProgress after
//     progress; PlaybackStop: PlayedToCompletion true after play (position at 95 % of the
//     runtime), after progress true only at or past 90 % (position: the progress);
//   Emby playback.stop: the same PlayedToCompletion and PositionTicks;
//   Plex: Metadata.viewOffset after progress (the state's position), none after a play.
// Sender: the server id and user the fake was started with (Plex Account: the owner, local
// account id --user-id), unless the caller names another account (a shared user).
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
  std::optional<bool> played_to_completion; // playback stop (default: from the last act)
  std::optional<int64_t> position_ms;       // playback events, Plex viewOffset (default: from the last act)
  std::optional<std::string> account_id;    // the user the event is about (default: the fake's user)
  std::optional<std::string> account_title; // and that user's name (default: "fakeuser")
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
Result<WebhookResult> post_webhook(const std::string& url, const WebhookPayload& payload, int read_timeout_s = 30);

}  // namespace ws::fake
