// Match keys (DESIGN §5 "Match keys"): how an incoming item finds its stored record.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ws/media_item.h"
#include "ws/record.h"

namespace ws {

// `<server>/<item id>`: the server's own id. Empty when the item has no id.
std::string backend_key(const std::string& server, const std::string& item_id);

// The backend key of an incoming item: `<server>/<item id>`, or for one part of a multi-episode
// file (episode_end != -1) `<server>/<item id>/E<episode>`, so each part maps to its own record.
// Empty when the item has no id.
std::string backend_key(const MediaItem& item);

// The backend keys of a stored record: one per server in record.metadata with an item id, by the
// same multi-episode rule (ServerMeta::episode_end != -1 adds `/E<record.episode>`).
std::vector<std::string> backend_keys(const Record& record);

// The backend key `server`'s metadata gives the record, by the same rule; empty when the record
// holds nothing of that server (or no item id).
std::string backend_key(const Record& record, const std::string& server);

// `guid_<source>://<value>/<type>` for each external id of the item.
std::vector<std::string> guid_keys(const Guids& guids, MediaType type);

// `rguid_<source>://<series id>/<season>/<episode>` for each external id of the series (and the
// item's legacy relative guid). Empty for movies or episodes without season/episode numbers.
std::vector<std::string> relative_keys(const Guids& parent, int season, int episode,
                                       const std::optional<RelativeGuid>& relative = std::nullopt);

// Every guid and relative key of an item / a record (not the backend keys).
std::vector<std::string> match_keys(const MediaItem& item);
std::vector<std::string> match_keys(const Record& record);

// An item with neither guid nor relative keys can only ever match by its backend id.
bool has_external_keys(const MediaItem& item);

}  // namespace ws
