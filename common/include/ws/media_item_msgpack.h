// MediaItems as MessagePack without a JSON DOM in between: the items of a `batch.items` body
// (docs/protocol.md), written by the fetcher straight from its MediaItems and read by the
// reconciler straight into them. The bytes are exactly what nlohmann::json::to_msgpack writes for
// the JSON form (media_item.h to_json: a map, keys sorted, fields at their default left out), so
// a peer may send either and the protocol document stays the one description.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ws/media_item.h"
#include "ws/result.h"

namespace ws {

// Appends the item's map.
void append_item_msgpack(std::string& out, const MediaItem& item);

// Appends an array of the items' maps: a batch's `items` field.
void append_items_msgpack(std::string& out, const std::vector<MediaItem>& items);

// What read_items_msgpack could not read.
struct ItemsReadReport {
  std::vector<std::string> skipped;  // one sentence per item left out, naming its index and field
};

// Reads an array of item maps as to_json / from_json define them: any integer width, nil for a
// field left out, unknown keys stepped over, `type` required ("movie" / "episode", any case).
// An item with a field of the wrong type or out of its range is left out and named in
// `report.skipped` ("item 3: 'year' is not an integer"); the list itself not being an array, or
// bytes that are not well-formed MessagePack (truncated, nested deeper than `max_depth`, a count
// larger than the bytes), is an invalid_input error. Never throws on any input; never recurses.
Result<std::vector<MediaItem>> read_items_msgpack(std::string_view bytes, ItemsReadReport& report,
                                                 int max_depth = 32);

}  // namespace ws
