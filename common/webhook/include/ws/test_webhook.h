// The webhook a server would send when its user finished playing an item, addressed as that
// server sends it (its server id, its user or Plex owner): what `watchstate webhook:test` posts
// through the running ingest, marked dry-run, to see the path work end to end and what the
// mapper would decide. Knows the three servers' webhook shapes, as the parsers beside it do.
#pragma once

#include "ws/config.h"
#include "ws/media_item.h"
#include "ws/webhook_event.h"

namespace ws {

// Plex `media.scrobble` (multipart, part `payload`), Jellyfin `UserDataSaved` with SaveReason
// `PlaybackFinished` and `Played: true` (JSON), Emby `playback.stop` with `PlayedToCompletion`
// (JSON). `item` needs item_id and type; its titles are used when set. Only content_type and
// body are filled.
WebhookRequest test_webhook(const ServerConfig& server, const MediaItem& item);

}  // namespace ws
