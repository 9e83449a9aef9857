#include "store_ops.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "ws/match_keys.h"
#include "ws/text.h"

namespace ws::store_ops {
namespace {

bool contains(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Keys LMDB cannot hold (over its key size limit) are never indexed nor looked up: a pathological
// server id must not fail a whole batch.
bool indexable(const StoreEnv& env, const std::string& key) { return !key.empty() && key.size() <= env.max_key_size; }

// The id a `pointers` key (in its on-disk form) maps to.
std::optional<uint64_t> lookup_disk(MDB_txn* txn, const StoreEnv& env, const std::string& disk_key) {
  if (!indexable(env, disk_key)) return std::nullopt;
  lmdb::val k(disk_key), v;
  if (!lmdb::dbi_get(txn, env.pointers, k, v)) return std::nullopt;
  return parse_pointer_value({v.data(), v.size()});
}

// Sets `key` -> id unless another record owns it. Returns true on a conflict.
// One B-tree descent for a free key (most keys of a fresh import): MDB_NOOVERWRITE puts it, or
// leaves it and points `v` at the owner's value.
bool claim(MDB_txn* txn, const StoreEnv& env, const std::string& key, uint64_t id) {
  if (!indexable(env, key)) return false;
  const std::string value = pointer_value(id);
  lmdb::val k(key), v(value);
  if (lmdb::dbi_put(txn, env.pointers, k, v, MDB_NOOVERWRITE)) return false;  // it was free: ours now
  const auto owner = parse_pointer_value({v.data(), v.size()});
  if (owner) return *owner != id;  // first come keeps it
  lmdb::val k2(key), v2(value);  // an unreadable value: overwritten, as a missing one is written
  lmdb::dbi_put(txn, env.pointers, k2, v2, 0);
  return false;
}

void release(MDB_txn* txn, const StoreEnv& env, const std::string& key, uint64_t id) {
  if (!indexable(env, key)) return;
  if (lookup_disk(txn, env, key) == id) {
    lmdb::val k(key);
    lmdb::dbi_del(txn, env.pointers, k, nullptr);
  }
}

// Every `pointers` key of a record, on-disk form: its match keys, then its backend keys.
std::vector<std::string> disk_keys(const Record& record) {
  std::vector<std::string> keys;
  for (const auto& key : match_keys(record)) keys.push_back(match_disk_key(key));
  for (const auto& key : backend_keys(record)) keys.push_back(backend_disk_key(key));
  return keys;
}

// Re-points the record's keys from `old_keys` to `new_keys`; returns the new conflicts.
uint64_t reindex(MDB_txn* txn, const StoreEnv& env, const std::vector<std::string>& old_keys,
                 const std::vector<std::string>& new_keys, uint64_t id) {
  for (const auto& key : old_keys) {
    if (!contains(new_keys, key)) release(txn, env, key, id);
  }
  uint64_t conflicts = 0;
  for (const auto& key : new_keys) {
    // A conflict the previous version already had was counted then.
    if (claim(txn, env, key, id) && !contains(old_keys, key)) ++conflicts;
  }
  return conflicts;
}

// The well-known guid sources, numbered from 1 in match_disk_key.
constexpr std::string_view kSources[] = {"imdb", "tmdb", "tvdb", "tvmaze", "tvrage", "anidb"};

char source_number(std::string_view source) {
  for (size_t i = 0; i < std::size(kSources); ++i)
    if (kSources[i] == source) return static_cast<char>(i + 1);
  return 0;
}


// Puts `key` -> `value` at the end of `dbi` when it sorts after every key there (LMDB then fills
// pages instead of splitting them in half), else where it belongs.
void put_appending(MDB_txn* txn, MDB_dbi dbi, const std::string& key, std::string_view value) {
  lmdb::val k(key), v(value.data(), value.size());
  if (lmdb::dbi_put(txn, dbi, k, v, MDB_APPEND)) return;
  lmdb::dbi_put(txn, dbi, k, v, 0);
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

std::string last_sync_key(const std::string& server, std::string_view direction) {
  // Appended, not `std::string(a) + b + c`: GCC 12 warns (-Warray-bounds) on that form wrongly.
  std::string key = "last_sync/";
  key += direction;
  key += '/';
  key += server;
  return key;
}

std::string match_disk_key(std::string_view key) {
  auto fallback = [&] { return "\x03" + std::string(key); };
  const bool relative = key.substr(0, 6) == "rguid_";
  if (!relative && key.substr(0, 5) != "guid_") return fallback();
  const std::string_view rest = key.substr(relative ? 6 : 5);
  const size_t sep = rest.find("://");
  if (sep == std::string_view::npos) return fallback();
  const char source = source_number(rest.substr(0, sep));
  if (source == 0) return fallback();
  std::string_view value = rest.substr(sep + 3);
  std::string out;
  out.reserve(value.size() + 3);
  out += relative ? '\x02' : '\x01';
  out += source;
  if (relative) return out.append(value);
  const size_t slash = value.rfind('/');
  if (slash == std::string_view::npos) return fallback();
  const std::string_view type = value.substr(slash + 1);
  if (type != "movie" && type != "episode") return fallback();
  out.append(value.substr(0, slash));
  out += type[0];
  return out;
}

std::string backend_disk_key(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 1);
  if (!key.empty() && static_cast<unsigned char>(key[0]) < 0x20) out += '\x04';
  for (size_t start = 0, part = 0;; ++part) {
    const size_t slash = key.find('/', start);
    const std::string_view segment = key.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (part > 0 && is_hex32_lower(segment)) {
      out.append("\0\1", 2);
      append_hex32_bytes(out, segment);
    } else {
      for (std::string_view rest = segment;;) {  // a NUL escaped as NUL 2; the text between at once
        const size_t nul = rest.find('\0');
        out.append(rest.substr(0, nul));
        if (nul == std::string_view::npos) break;
        out.append("\0\2", 2);
        rest.remove_prefix(nul + 1);
      }
    }
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

bool is_backend_disk_key(std::string_view k) {
  return !k.empty() && (static_cast<unsigned char>(k[0]) >= 0x20 || k[0] == '\x04');
}

std::string backend_key_of_disk(std::string_view k) {
  std::string out;
  append_backend_key_of_disk(out, k);
  return out;
}

void append_backend_key_of_disk(std::string& out, std::string_view k) {
  if (!k.empty() && k[0] == '\x04') k.remove_prefix(1);
  out.reserve(out.size() + k.size() + 16);
  while (!k.empty()) {
    const size_t nul = k.find('\0');
    out.append(k.substr(0, nul));  // the text up to the next escape, at once
    if (nul == std::string_view::npos) return;
    k.remove_prefix(nul);
    if (k.size() >= 2 && k[1] == '\2') {
      out += '\0';
      k.remove_prefix(2);
    } else if (k.size() >= 18 && k[1] == '\1') {
      append_bytes_hex32(out, k.substr(2, 16));
      k.remove_prefix(18);
    } else {
      out += '\0';  // not written so; kept as it is
      k.remove_prefix(1);
    }
  }
}

std::string pointer_value(uint64_t id) {
  std::string out = be64(id);
  const size_t zeros = std::min(out.find_first_not_of('\0'), size_t(7));
  return out.substr(zeros);
}

std::optional<uint64_t> parse_pointer_value(std::string_view bytes) {
  if (bytes.empty() || bytes.size() > 8) return std::nullopt;
  uint64_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

std::optional<uint64_t> lookup_match(MDB_txn* txn, const StoreEnv& env, const std::string& match_key) {
  return lookup_disk(txn, env, match_disk_key(match_key));
}

std::optional<uint64_t> lookup_backend(MDB_txn* txn, const StoreEnv& env, const std::string& backend_key) {
  if (backend_key.empty()) return std::nullopt;
  return lookup_disk(txn, env, backend_disk_key(backend_key));
}

namespace {

// The record stored under `id`, decoded by `decode(bytes)`; nullopt (with a warning) when it
// cannot be.
template <typename Decode>
std::optional<Record> decoded_record(MDB_txn* txn, const StoreEnv& env, uint64_t id, Decode&& decode) {
  std::string key = be64(id);
  lmdb::val k(key), v;
  if (!lmdb::dbi_get(txn, env.state, k, v)) return std::nullopt;
  try {
    Record record = decode(std::string_view(v.data(), v.size()));
    record.id = id;  // the key is the truth
    return record;
  } catch (const std::exception& e) {
    spdlog::warn("state store '{}': record {} cannot be decoded, skipped: {}", env.dir.string(), id, e.what());
    return std::nullopt;
  }
}

// The record an item resolves to, each candidate read by `get(id)`.
template <typename Get>
std::optional<Record> find_with(MDB_txn* txn, const StoreEnv& env, const MediaItem& item, Get&& get) {
  if (auto id = lookup_backend(txn, env, backend_key(item))) {
    if (auto record = get(*id)) return record;
  }
  // match_keys lists relative keys before guid keys: exactly the resolution order.
  for (const auto& key : match_keys(item)) {
    if (auto id = lookup_match(txn, env, key)) {
      if (auto record = get(*id)) return record;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Record> get_record(MDB_txn* txn, const StoreEnv& env, uint64_t id) {
  return decoded_record(txn, env, id, [](std::string_view bytes) { return decode_record(bytes); });
}

std::optional<Record> find_record(MDB_txn* txn, const StoreEnv& env, const MediaItem& item) {
  return find_with(txn, env, item, [&](uint64_t id) { return get_record(txn, env, id); });
}

std::optional<Record> find_record_for(MDB_txn* txn, const StoreEnv& env, const MediaItem& item,
                                      const std::string& server, std::string_view& bytes, size_t& metadata_at) {
  return find_with(txn, env, item, [&](uint64_t id) {
    return decoded_record(txn, env, id, [&](std::string_view stored) {
      bytes = stored;
      return decode_record_for(stored, server, metadata_at);
    });
  });
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
  if (whole.empty() || !indexable(env, backend_disk_key(whole + "/E"))) return records;
  std::vector<uint64_t> ids;
  if (auto id = lookup_backend(txn, env, whole)) ids.push_back(*id);
  // The parts of a multi-episode file: `<server>/<item id>/E<n>`, next to each other in key order.
  const std::string prefix = backend_disk_key(whole + "/E");
  auto cursor = lmdb::cursor::open(txn, env.pointers);
  lmdb::val key(prefix), value;
  for (bool more = cursor.get(key, value, MDB_SET_RANGE); more; more = cursor.get(key, value, MDB_NEXT)) {
    if (std::string_view(key.data(), key.size()).substr(0, prefix.size()) != prefix) break;
    const auto id = parse_pointer_value({value.data(), value.size()});
    if (id && std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
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
  const uint64_t conflicts =
      reindex(txn, env, old ? disk_keys(*old) : std::vector<std::string>{}, disk_keys(record), record.id);

  if (old && old->updated_at != record.updated_at) {
    std::string stale = change_key(old->updated_at, record.id);
    lmdb::val k(stale);
    lmdb::dbi_del(txn, env.changes, k, nullptr);
  }
  // New records take the next id, and an import's changes come in time order: both mostly land
  // after every key there, where an append keeps LMDB's pages full.
  if (!old || old->updated_at != record.updated_at) put_appending(txn, env.changes, change_key(record.updated_at, record.id), {});

  const std::string value = encode_record(record);
  if (old) {
    std::string key = be64(record.id);
    lmdb::val k(key), v(value);
    lmdb::dbi_put(txn, env.state, k, v, 0);
  } else {
    put_appending(txn, env.state, be64(record.id), value);
  }
  return conflicts;
}

bool webhook_event_applied(MDB_txn* txn, const StoreEnv& env, const std::string& event_id) {
  if (!env.webhook_events) return false;
  std::string key = "i" + event_id;
  lmdb::val k(key), v;
  return lmdb::dbi_get(txn, env.webhook_events, k, v);
}

}  // namespace ws::store_ops
