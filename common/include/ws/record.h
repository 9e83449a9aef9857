// The stored state of one movie or episode (DESIGN §5): the reconciler's unit of truth.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "ws/guids.h"
#include "ws/media_item.h"

namespace ws {

// What one server last told us (or what we last wrote to it) about this item. Its path and titles
// are not kept (DESIGN §5): the record's title, season and episode name the item for every server.
struct ServerMeta {
  std::string item_id;
  std::string series_id;
  std::string library_id;
  bool watched = false;
  int64_t played_at = 0;
  int64_t added_at = 0;
  int64_t progress_ms = 0;
  // The server's item is a multi-episode file (S01E01-E02) and this record one part of it: the
  // item's last episode (MediaItem::episode_end), else -1. Its backend key is then
  // `<server>/<item id>/E<record episode>`, so each part maps to its own record (match_keys.h).
  int episode_end = -1;
  // Writes of the state the server answered as done but did not keep (the read-back after the
  // export disagreed, DESIGN §5 "After a write"), in a row, and the watched flag it kept showing.
  // A server that keeps ignoring them gets no more plans for the item (export.max_ignored) until
  // its own state for it changes (an import reporting another flag) or `state:export -f`.
  int ignored_writes = 0;
  bool ignored_watched = false;

  // Whether planning has given up writing the state to this item: `max_ignored` writes were
  // ignored in a row and the server still shows the flag it kept.
  bool writes_given_up(int max_ignored) const {
    return max_ignored > 0 && ignored_writes >= max_ignored && watched == ignored_watched;
  }

  bool operator==(const ServerMeta&) const = default;
};

// The resume position that wins across servers.
struct Progress {
  int64_t ms = 0;
  std::string via;  // server it came from
  int64_t at = 0;   // unix seconds it was reported
  bool operator==(const Progress&) const = default;
};

struct Record {
  uint64_t id = 0;
  MediaType type = MediaType::movie;
  bool watched = false;
  int64_t updated = 0;  // unix seconds of the last state change (see DESIGN §5)
  // When the state was last set by an explicit unmark (rule 2); 0 = never. Lets a later play
  // win only when it is newer (rule 1), and tells "never played" from "unmarked".
  int64_t unmarked_at = 0;
  std::string via;      // the server that last set the state
  std::string title;
  int year = 0;
  int season = -1;
  int episode = -1;
  Guids guids;
  Guids parent;
  Progress progress;
  std::map<std::string, ServerMeta> metadata;  // server name -> its view
  int64_t created_at = 0;
  int64_t updated_at = 0;  // bookkeeping; drives push-mode export

  bool operator==(const Record&) const = default;
};

void to_json(nlohmann::json& j, const ServerMeta& meta);
void from_json(const nlohmann::json& j, ServerMeta& meta);
void to_json(nlohmann::json& j, const Progress& progress);
void from_json(const nlohmann::json& j, Progress& progress);
void to_json(nlohmann::json& j, const Record& record);
void from_json(const nlohmann::json& j, Record& record);

// Compact binary form for LMDB: one byte of record layout, then a positional MessagePack array
// (layout 2, common/record_msgpack.h). The id is not stored (it is the LMDB key): decode gives 0.
// decode_record also reads layout 1 (schema version 1's MessagePack of the JSON form, whose
// server paths and titles it drops) for the store's migration. Throws std::runtime_error on
// bytes it cannot decode.
std::string encode_record(const Record& record);
Record decode_record(std::string_view bytes);

// What the reconciler's unchanged fast path reads of a stored record, decoded without the rest:
// every field, of `metadata` only `server`'s entry (layout 1: the whole record). The other
// servers' entries are read and checked, not kept, so this throws exactly when decode_record
// throws. `metadata_at` gets where the metadata sits in `bytes` (npos: nothing left out), for
// complete_record, which adds the entries left out from the same bytes: then the record equals
// decode_record(bytes).
Record decode_record_for(std::string_view bytes, const std::string& server, size_t& metadata_at);
void complete_record(std::string_view bytes, size_t metadata_at, Record& record);

}  // namespace ws
