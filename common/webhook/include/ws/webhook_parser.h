// Webhook request -> normalized event, for each server type (DESIGN §8, §11).
//
// Every function is pure (no clock, no I/O, no logging) and safe on any input: malformed JSON,
// wrong framing, missing fields or oversized bodies give an Error (ErrorKind::invalid_input) with
// one sentence naming what was wrong, never an exception or a crash. An event that is valid but
// not about watch state (an admin event, a music track, a test notification) is not an error: it
// comes back with kind == ignored and a reason, so ingest can answer 200 with that reason.
#pragma once

#include <cstddef>

#include "ws/result.h"
#include "ws/webhook_event.h"

namespace ws {

// The parsers' own bound, above ingest's configured limit (default 1 MiB, answered with 413):
// a defence for callers that skip that check, such as `webhook:parse`.
inline constexpr size_t kMaxWebhookBodyBytes = 8 << 20;
// JSON nested deeper than this is refused before parsing (real payloads nest 4 levels).
inline constexpr int kMaxWebhookJsonDepth = 64;

// Dispatches on `type`.
Result<WebhookEvent> parse_webhook(ServerType type, const WebhookRequest& request);

// Plex: multipart/form-data, JSON in part `payload`, maybe a `thumb` JPEG part (skipped).
// media.scrobble = completed play; media.play|pause|resume|stop = tainted play (viewOffset is the
// position); library.new = item added; media.rate, library.on.deck, admin and other events,
// and items that are not movies or episodes are ignored with a reason.
Result<WebhookEvent> parse_plex_webhook(const WebhookRequest& request);

// Jellyfin (webhook plugin, "Send All Properties"): one flat JSON object, often sent as
// text/plain. ItemAdded = item added; PlaybackStart|Stop = tainted play; PlaybackProgress =
// progress; UserDataSaved: SaveReason TogglePlayed = manual mark (Played says which way),
// PlaybackFinished with Played true = completed play, anything else = progress (never unmarks).
Result<WebhookEvent> parse_jellyfin_webhook(const WebhookRequest& request);

// Emby: multipart/form-data with the JSON in form field `data`, or a raw JSON body.
// item.markplayed|markunplayed = manual mark; playback.start|pause|unpause|stop = tainted play,
// except playback.stop with PlaybackInfo.PlayedToCompletion true = completed play; library.new =
// item added; system.notificationtest and others are ignored with a reason.
Result<WebhookEvent> parse_emby_webhook(const WebhookRequest& request);

}  // namespace ws
