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
std::string last_sync_key(const std::string& server, std::string_view direction);

// `pointers` (schema 2) holds both kinds of keys in one index, each in its own on-disk form:
// - match keys (match_keys.h) shortened: `guid_<source>://<value>/<type>` as "\x01", the
//   source's number, the value and 'm' or 'e'; `rguid_<source>://<rest>` as "\x02", the source's
//   number and the rest; a key of another source or shape as "\x03" + the key as it is;
// - backend keys (`<server>/<item id>[/E<n>]`) as they are, but for: a '/'-separated part after
//   the first that is 32 lowercase hex digits (a Jellyfin id) as "\0\1" + its 16 bytes, a NUL
//   byte as "\0\2", and "\x04" before a key that starts with a control character (a server name
//   no one uses) — so the two kinds never meet, and the form of `<server>/` or `<server>/<id>/E`
//   is a prefix of the form of every key that starts with it (prefix scans still work).
// Each maps to the record id as its shortest big-endian bytes (1 to 8).
std::string match_disk_key(std::string_view match_key);
std::string backend_disk_key(std::string_view backend_key);
// Whether a `pointers` key is a backend key, and that key as backend_keys() gives it.
bool is_backend_disk_key(std::string_view disk_key);
std::string backend_key_of_disk(std::string_view disk_key);
// The same, appended to `out` (a loop over keys reuses one string).
void append_backend_key_of_disk(std::string& out, std::string_view disk_key);
std::string pointer_value(uint64_t id);
std::optional<uint64_t> parse_pointer_value(std::string_view bytes);

// The id a match key / a backend key maps to in `pointers`.
std::optional<uint64_t> lookup_match(MDB_txn* txn, const StoreEnv& env, const std::string& match_key);
std::optional<uint64_t> lookup_backend(MDB_txn* txn, const StoreEnv& env, const std::string& backend_key);
// A record by id; a record that cannot be decoded is logged and treated as absent.
std::optional<Record> get_record(MDB_txn* txn, const StoreEnv& env, uint64_t id);
// Resolution order of DESIGN §5: own server id, relative keys, guid keys.
std::optional<Record> find_record(MDB_txn* txn, const StoreEnv& env, const MediaItem& item);
// find_record decoding of `metadata` only `server`'s entry (decode_record_for): `bytes` (valid
// until the transaction writes) and `metadata_at` are for complete_record, to add the rest.
std::optional<Record> find_record_for(MDB_txn* txn, const StoreEnv& env, const MediaItem& item,
                                      const std::string& server, std::string_view& bytes, size_t& metadata_at);

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

// Writes `record` (whose id is already assigned) with its pointers (match and backend keys) and
// changes entry; drops the keys its previous version owned and no longer has. A key owned by
// another record is left to it; returns how many such conflicts are new for this record.
uint64_t put_record(MDB_txn* txn, const StoreEnv& env, const Record& record);
// The same with the previous version already read in this transaction (nullptr: there is none).
uint64_t put_record_over(MDB_txn* txn, const StoreEnv& env, const Record& record, const Record* old);

}  // namespace ws::store_ops
