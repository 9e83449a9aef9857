#include "store_ops.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "ws/match_keys.h"

namespace ws::store_ops {
namespace {

bool contains(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Keys LMDB cannot hold (over its key size limit) are never indexed nor looked up: a pathological
// server id must not fail a whole batch.
bool indexable(const StoreEnv& env, const std::string& key) { return !key.empty() && key.size() <= env.max_key_size; }

// Sets `key` -> id unless another record owns it. Returns true on a conflict.
bool claim(MDB_txn* txn, const StoreEnv& env, MDB_dbi dbi, const std::string& key, uint64_t id) {
  if (!indexable(env, key)) return false;
  auto owner = lookup(txn, dbi, key);
  if (owner && *owner != id) return true;  // first come keeps it
  if (!owner) {
    std::string value = be64(id);
    lmdb::val k(key), v(value);
    lmdb::dbi_put(txn, dbi, k, v, 0);
  }
  return false;
}

void release(MDB_txn* txn, const StoreEnv& env, MDB_dbi dbi, const std::string& key, uint64_t id) {
  if (!indexable(env, key)) return;
  if (lookup(txn, dbi, key) == id) {
    lmdb::val k(key);
    lmdb::dbi_del(txn, dbi, k, nullptr);
  }
}

// Re-points the keys of one kind from `old_keys` to `new_keys`; returns the new conflicts.
uint64_t reindex(MDB_txn* txn, const StoreEnv& env, MDB_dbi dbi, const std::vector<std::string>& old_keys,
                 const std::vector<std::string>& new_keys, uint64_t id) {
  for (const auto& key : old_keys) {
    if (!contains(new_keys, key)) release(txn, env, dbi, key, id);
  }
  uint64_t conflicts = 0;
  for (const auto& key : new_keys) {
    // A conflict the previous version already had was counted then.
    if (claim(txn, env, dbi, key, id) && !contains(old_keys, key)) ++conflicts;
  }
  return conflicts;
}

}  // namespace

std::string be64(uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

uint64_t from_be64(std::string_view bytes) {
  if (bytes.size() != 8) throw std::runtime_error("store: an id is not 8 bytes");
  uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

std::string change_key(int64_t updated_at, uint64_t id) {
  return be64(static_cast<uint64_t>(updated_at) ^ (uint64_t(1) << 63)) + be64(id);
}

std::string last_sync_key(const std::string& server, bool import) {
  // Appended, not `std::string(a) + b + c`: GCC 12 warns (-Warray-bounds) on that form wrongly.
  std::string key = import ? "last_sync/import/" : "last_sync/export/";
  key += server;
  return key;
}

std::optional<uint64_t> lookup(MDB_txn* txn, MDB_dbi dbi, const std::string& key) {
  if (key.empty() || key.size() > 511) return std::nullopt;
  lmdb::val k(key), v;
  if (!lmdb::dbi_get(txn, dbi, k, v) || v.size() != 8) return std::nullopt;
  return from_be64(std::string_view(v.data(), v.size()));
}

std::optional<Record> get_record(MDB_txn* txn, const StoreEnv& env, uint64_t id) {
  std::string key = be64(id);
  lmdb::val k(key), v;
  if (!lmdb::dbi_get(txn, env.state, k, v)) return std::nullopt;
  try {
    Record record = decode_record(std::string_view(v.data(), v.size()));
    record.id = id;  // the key is the truth
    return record;
  } catch (const std::exception& e) {
    spdlog::warn("state store '{}': record {} cannot be decoded, skipped: {}", env.dir.string(), id, e.what());
    return std::nullopt;
  }
}

std::optional<Record> find_record(MDB_txn* txn, const StoreEnv& env, const MediaItem& item) {
  if (auto id = lookup(txn, env.backend_ids, backend_key(item))) {
    if (auto record = get_record(txn, env, *id)) return record;
  }
  // match_keys lists relative keys before guid keys: exactly the resolution order.
  for (const auto& key : match_keys(item)) {
    if (auto id = lookup(txn, env.pointers, key)) {
      if (auto record = get_record(txn, env, *id)) return record;
    }
  }
  return std::nullopt;
}

std::optional<std::string> meta_get(MDB_txn* txn, const StoreEnv& env, const std::string& key) {
  lmdb::val k(key), v;
  if (!lmdb::dbi_get(txn, env.meta, k, v)) return std::nullopt;
  return std::string(v.data(), v.size());
}

int64_t meta_get_int(MDB_txn* txn, const StoreEnv& env, const std::string& key, int64_t fallback) {
  auto text = meta_get(txn, env, key);
  if (!text) return fallback;
  try {
    size_t used = 0;
    int64_t value = std::stoll(*text, &used);
    return used == text->size() ? value : fallback;
  } catch (const std::exception&) {
    return fallback;
  }
}

void meta_put(MDB_txn* txn, const StoreEnv& env, const std::string& key, const std::string& value) {
  lmdb::val k(key), v(value);
  lmdb::dbi_put(txn, env.meta, k, v, 0);
}

void for_each_record(MDB_txn* txn, const StoreEnv& env, const std::function<bool(const Record&)>& visit) {
  auto cursor = lmdb::cursor::open(txn, env.state);
  lmdb::val key, value;
  for (bool more = cursor.get(key, value, MDB_FIRST); more; more = cursor.get(key, value, MDB_NEXT)) {
    if (key.size() != 8) continue;
    auto record = get_record(txn, env, from_be64({key.data(), key.size()}));
    if (record && !visit(*record)) break;
  }
}

void for_each_changed(MDB_txn* txn, const StoreEnv& env, int64_t since, const std::function<bool(const Record&)>& visit) {
  if (since == INT64_MAX) return;
  auto cursor = lmdb::cursor::open(txn, env.changes);
  std::string start = change_key(since + 1, 0);
  lmdb::val key(start), value;
  for (bool more = cursor.get(key, value, MDB_SET_RANGE); more; more = cursor.get(key, value, MDB_NEXT)) {
    if (key.size() != 16) continue;
    uint64_t id = from_be64({key.data() + 8, 8});
    auto record = get_record(txn, env, id);
    if (record && !visit(*record)) break;
  }
}

std::vector<Record> records_of_item(MDB_txn* txn, const StoreEnv& env, const std::string& server,
                                    const std::string& item_id) {
  std::vector<Record> records;
  const std::string whole = backend_key(server, item_id);
  if (whole.empty() || !indexable(env, whole + "/E")) return records;
  std::vector<uint64_t> ids;
  if (auto id = lookup(txn, env.backend_ids, whole)) ids.push_back(*id);
  // The parts of a multi-episode file: `<server>/<item id>/E<n>`, next to each other in key order.
  const std::string prefix = whole + "/E";
  auto cursor = lmdb::cursor::open(txn, env.backend_ids);
  lmdb::val key(prefix), value;
  for (bool more = cursor.get(key, value, MDB_SET_RANGE); more; more = cursor.get(key, value, MDB_NEXT)) {
    if (std::string_view(key.data(), key.size()).substr(0, prefix.size()) != prefix) break;
    if (value.size() != 8) continue;
    const uint64_t id = from_be64({value.data(), value.size()});
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  for (uint64_t id : ids)
    if (auto record = get_record(txn, env, id)) records.push_back(std::move(*record));
  std::stable_sort(records.begin(), records.end(),
                   [](const Record& a, const Record& b) { return a.episode < b.episode; });
  return records;
}

std::string unmarks_key(const std::string& server) { return "guard/unmarks/" + server; }

std::vector<std::pair<int64_t, uint64_t>> read_unmarks(MDB_txn* txn, const StoreEnv& env, const std::string& server) {
  std::vector<std::pair<int64_t, uint64_t>> entries;
  auto text = meta_get(txn, env, unmarks_key(server));
  if (!text) return entries;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_array()) {
    spdlog::warn("state store '{}': the export guard's log for '{}' is unreadable; it starts anew", env.dir.string(),
                 server);
    return entries;
  }
  for (const auto& e : j)
    if (e.is_array() && e.size() == 2 && e[0].is_number_integer() && e[1].is_number_unsigned())
      entries.emplace_back(e[0].get<int64_t>(), e[1].get<uint64_t>());
  return entries;
}

uint64_t put_record(MDB_txn* txn, const StoreEnv& env, const Record& record) {
  const auto previous = get_record(txn, env, record.id);
  return put_record_over(txn, env, record, previous ? &*previous : nullptr);
}

uint64_t put_record_over(MDB_txn* txn, const StoreEnv& env, const Record& record, const Record* old) {
  uint64_t conflicts = 0;
  conflicts += reindex(txn, env, env.pointers, old ? match_keys(*old) : std::vector<std::string>{},
                       match_keys(record), record.id);
  conflicts += reindex(txn, env, env.backend_ids, old ? backend_keys(*old) : std::vector<std::string>{},
                       backend_keys(record), record.id);

  if (old && old->updated_at != record.updated_at) {
    std::string stale = change_key(old->updated_at, record.id);
    lmdb::val k(stale);
    lmdb::dbi_del(txn, env.changes, k, nullptr);
  }
  std::string change = change_key(record.updated_at, record.id);
  lmdb::val ck(change), empty("", 0);
  lmdb::dbi_put(txn, env.changes, ck, empty, 0);

  std::string key = be64(record.id);
  std::string value = encode_record(record);
  lmdb::val k(key), v(value);
  lmdb::dbi_put(txn, env.state, k, v, 0);
  return conflicts;
}

bool webhook_event_applied(MDB_txn* txn, const StoreEnv& env, const std::string& event_id) {
  if (!env.webhook_events) return false;
  std::string key = "i" + event_id;
  lmdb::val k(key), v;
  return lmdb::dbi_get(txn, env.webhook_events, k, v);
}

}  // namespace ws::store_ops
