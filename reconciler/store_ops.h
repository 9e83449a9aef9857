// What Store and WriteBatch do inside one LMDB transaction: keys, look-ups, the record put with
// its indexes. Internal to the store; every function takes the transaction it runs in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store_env.h"
#include "ws/media_item.h"
#include "ws/record.h"

namespace ws::store_ops {

// Big-endian u64, so LMDB's bytewise order is numeric order.
std::string be64(uint64_t value);
uint64_t from_be64(std::string_view bytes);
// `changes` key: be64(updated_at with its sign bit flipped, so negative times sort first) + be64(id).
std::string change_key(int64_t updated_at, uint64_t id);
std::string last_sync_key(const std::string& server, bool import);

// The id a `pointers` / `backend_ids` key maps to.
std::optional<uint64_t> lookup(MDB_txn* txn, MDB_dbi dbi, const std::string& key);
// A record by id; a record that cannot be decoded is logged and treated as absent.
std::optional<Record> get_record(MDB_txn* txn, const StoreEnv& env, uint64_t id);
// Resolution order of DESIGN §5: own server id, relative keys, guid keys.
std::optional<Record> find_record(MDB_txn* txn, const StoreEnv& env, const MediaItem& item);

std::optional<std::string> meta_get(MDB_txn* txn, const StoreEnv& env, const std::string& key);
int64_t meta_get_int(MDB_txn* txn, const StoreEnv& env, const std::string& key, int64_t fallback);
void meta_put(MDB_txn* txn, const StoreEnv& env, const std::string& key, const std::string& value);

// Writes `record` (whose id is already assigned) with its pointers, backend ids and changes
// entry; drops the keys its previous version owned and no longer has. A key owned by another
// record is left to it; returns how many such conflicts are new for this record.
uint64_t put_record(MDB_txn* txn, const StoreEnv& env, const Record& record);

}  // namespace ws::store_ops
