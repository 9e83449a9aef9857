// Migration of a store of schema version 1 to version 2 (store.h kStoreSchemaVersion), run by a
// writer's open in the transaction that then writes the new version: either all of it is done or
// none. Internal to the store.
//
// Version 1 kept records in layout 1 (MessagePack of the JSON form, with each server's path and
// titles), match keys as text in `pointers`, and the `<server>/<item id>` keys in a database of
// their own, `backend_ids`. Version 2 re-encodes every record (layout 2, common/record_msgpack.h),
// keeps both kinds of keys in `pointers` in their on-disk forms (store_ops.h), each pointing to
// the same record as before (a key's owner does not change), and deletes `backend_ids`. Both
// databases are rewritten in key order, so their pages come out full.
#pragma once

#include <cstdint>

#include "store_env.h"

namespace ws {

struct StoreMigration {
  uint64_t records = 0;       // re-encoded
  uint64_t undecodable = 0;   // left as they were (a reader skips them, as it did before)
  uint64_t keys = 0;          // match and backend keys carried over
};

// REQUIRES: `txn` is a write transaction of `env`, whose databases are open (backend_ids aside).
StoreMigration migrate_store_v1_to_v2(MDB_txn* txn, const StoreEnv& env);

}  // namespace ws
