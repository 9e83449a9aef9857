// The LMDB environment behind a Store, and the schema check at open. Internal to the store.
//
// LMDB forbids opening one environment twice in a process (closing the second copy drops the
// first one's locks), so environments are shared: a process-wide registry hands every Store of
// the same folder the same StoreEnv. Entries made before a fork() are ignored by the child, which
// must open its own environment.
#pragma once

#include <filesystem>
#include <memory>

#include <lmdb++.h>

#include "ws/result.h"

namespace ws {

// Schema version key in `meta`, and the other meta keys (values are decimal text).
inline constexpr const char* kMetaSchemaVersion = "schema_version";
inline constexpr const char* kMetaNextId = "next_id";
inline constexpr const char* kMetaPointerConflicts = "pointer_conflicts";

struct StoreEnv {
  std::filesystem::path dir;
  lmdb::env env{nullptr};
  bool writable = false;
  MDB_dbi state = 0;        // be64(id) -> encode_record
  // Match keys and `<server>/<item id>[/E<episode>]` backend keys, each in its on-disk form
  // (store_ops.h) -> the id's shortest big-endian bytes.
  MDB_dbi pointers = 0;
  MDB_dbi meta = 0;         // name -> decimal text
  MDB_dbi outbox = 0;       // job key -> job bytes
  MDB_dbi changes = 0;      // be64(updated_at, sign-flipped) + be64(id) -> empty
  MDB_dbi unmatched = 0;    // <server>\0<item id> -> JSON {reason, item}: state:unmatched
  // Webhook events applied (dedupe by event id, docs/protocol.md "Events"): "i" + event id ->
  // be64(applied at), and "t" + be64(applied at) + event id -> empty, to forget the old ones in
  // order. 0 in a read-only store made before it existed.
  MDB_dbi webhook_events = 0;
  size_t max_key_size = 511;
};

// Opens (or shares) the environment in `dir`. Writable: creates the folder and the databases
// when absent and writes the schema version; migrates a store of version 1 to 2
// (store_migration.h). Read-only: refuses a folder with no store. Both
// refuse a store whose schema version is not `schema_version`, naming the folder and both
// versions. REQUIRES (writable): the caller holds the writer lock.
Result<std::shared_ptr<StoreEnv>> open_store_env(const std::filesystem::path& dir, bool writable, size_t map_size,
                                                 int schema_version);

// Whether this process has the environment of `dir` open (a Store of it is alive).
bool store_env_open_in_process(const std::filesystem::path& dir);

}  // namespace ws
