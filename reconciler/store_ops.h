// What Store and WriteBatch do inside one LMDB transaction: keys, look-ups, the record put with
// its indexes. Internal to the store; every function takes the transaction it runs in.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>
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

// Every record in id order / changed after `since` in updated_at order; `visit` returns false
// to stop. Undecodable records are skipped (get_record logs them).
void for_each_record(MDB_txn* txn, const StoreEnv& env, const std::function<bool(const Record&)>& visit);
void for_each_changed(MDB_txn* txn, const StoreEnv& env, int64_t since, const std::function<bool(const Record&)>& visit);
// The records a server item's backend keys name (RecordSource::records_of_item).
std::vector<Record> records_of_item(MDB_txn* txn, const StoreEnv& env, const std::string& server,
                                    const std::string& item_id);

// The export guard's log of unmarks written to a server: (unix second, count), oldest first.
std::string unmarks_key(const std::string& server);
std::vector<std::pair<int64_t, uint64_t>> read_unmarks(MDB_txn* txn, const StoreEnv& env, const std::string& server);

// Whether `event_id` is in the webhook_events database (store_env.h); false when the store has none.
bool webhook_event_applied(MDB_txn* txn, const StoreEnv& env, const std::string& event_id);

// Writes `record` (whose id is already assigned) with its pointers, backend ids and changes
// entry; drops the keys its previous version owned and no longer has. A key owned by another
// record is left to it; returns how many such conflicts are new for this record.
uint64_t put_record(MDB_txn* txn, const StoreEnv& env, const Record& record);
// The same with the previous version already read in this transaction (nullptr: there is none).
uint64_t put_record_over(MDB_txn* txn, const StoreEnv& env, const Record& record, const Record* old);

}  // namespace ws::store_ops
