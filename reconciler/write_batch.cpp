#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "store_impl.h"
#include "store_ops.h"
#include "ws/match_keys.h"

namespace ws {
namespace {

// "3.0 MiB", "8.00 GiB": the map size as the user wrote it, near enough.
std::string human_size(size_t bytes) {
  char buffer[32];
  if (bytes >= (size_t(1) << 30)) {
    std::snprintf(buffer, sizeof buffer, "%.2f GiB", static_cast<double>(bytes) / double(1u << 30));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f MiB", static_cast<double>(bytes) / double(1u << 20));
  }
  return buffer;
}

}  // namespace

WriteBatch::WriteBatch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WriteBatch::WriteBatch(WriteBatch&&) noexcept = default;
WriteBatch& WriteBatch::operator=(WriteBatch&& other) noexcept {
  if (this != &other) {
    WriteBatch discarded(std::move(*this));  // aborts what this batch held
    impl_ = std::move(other.impl_);
  }
  return *this;
}

WriteBatch::~WriteBatch() {
  if (!impl_) return;
  if (impl_->txn) ::mdb_txn_abort(std::exchange(impl_->txn, nullptr));
  if (impl_->holds_slot) impl_->store->batch_open = false;
}

namespace {

// Runs one write operation, turning LMDB failures into the batch's error.
template <typename F>
auto guarded(WriteBatch::Impl& b, F&& op) -> decltype(op()) {
  using R = decltype(op());
  if (b.error || b.done || !b.txn) {
    if (!b.error) b.error = make_error(ErrorKind::invalid_input, "this write batch is already committed");
    return R{};
  }
  const auto& dir = b.store->options.dir;
  try {
    return op();
  } catch (const lmdb::map_full_error&) {
    b.error = make_error(ErrorKind::io, "state store '" + dir.string() + "' is full: its map size (" +
                                            human_size(b.store->options.map_size) +
                                            ") is used up; raise store.map_size in config.yaml (or "
                                            "WS_STORE_MAP_SIZE) and run again");
  } catch (const lmdb::error& e) {
    b.error = make_error(ErrorKind::io, "write to the state store '" + dir.string() + "' failed: " + e.what());
  }
  return R{};
}

// The next id to assign; nullopt (and the batch's error) when the stored counter is unreadable:
// restarting it at 1 would overwrite records.
std::optional<uint64_t> next_id(WriteBatch::Impl& b) {
  if (!b.next_id) {
    auto text = store_ops::meta_get(b.txn, *b.store->env, kMetaNextId);
    int64_t stored = text ? store_ops::meta_get_int(b.txn, *b.store->env, kMetaNextId, -1) : 1;
    if (stored <= 0 || static_cast<uint64_t>(stored) > kMaxRecordId + 1) {
      b.error = make_error(ErrorKind::corruption, "state store '" + b.store->options.dir.string() +
                                                      "' has an unreadable next-id counter ('" +
                                                      text->substr(0, 40) + "'); restore it from a backup");
      return std::nullopt;
    }
    b.next_id = static_cast<uint64_t>(stored);
  }
  return b.next_id;
}

}  // namespace

std::optional<Record> WriteBatch::find(const MediaItem& item) {
  if (!impl_->txn) return std::nullopt;
  return guarded(*impl_, [&]() -> std::optional<Record> {
    return store_ops::find_record(impl_->txn, *impl_->store->env, item);
  });
}

std::optional<Record> WriteBatch::find_for(const MediaItem& item, const std::string& server) {
  impl_->found_bytes = {};
  impl_->found_metadata_at = std::string_view::npos;
  if (!impl_->txn) return std::nullopt;
  return guarded(*impl_, [&]() -> std::optional<Record> {
    return store_ops::find_record_for(impl_->txn, *impl_->store->env, item, server, impl_->found_bytes,
                                      impl_->found_metadata_at);
  });
}

void WriteBatch::complete_found(Record& record) {
  const size_t at = std::exchange(impl_->found_metadata_at, std::string_view::npos);
  try {
    complete_record(std::exchange(impl_->found_bytes, {}), at, record);
  } catch (const std::exception&) {
    // find_for checked these bytes as decode_record does: not reached. Read it whole again.
    if (auto whole = get(record.id)) record = std::move(*whole);
  }
}

std::optional<Record> WriteBatch::get(uint64_t id) {
  if (!impl_->txn) return std::nullopt;
  return guarded(*impl_, [&]() -> std::optional<Record> {
    return store_ops::get_record(impl_->txn, *impl_->store->env, id);
  });
}

uint64_t WriteBatch::put(Record& record) { return put_impl(record, nullptr, false); }

uint64_t WriteBatch::put(Record& record, const std::optional<Record>& stored) {
  if (stored && stored->id == record.id) return put_impl(record, &*stored, true);
  if (!stored && record.id == 0) return put_impl(record, nullptr, true);
  return put_impl(record, nullptr, false);
}

uint64_t WriteBatch::put_impl(Record& record, const Record* previous, bool previous_known) {
  if (record.id > kMaxRecordId && !impl_->error && !impl_->done) {
    // Bad input, not a failed write: the store goes on accepting batches.
    impl_->error = make_error(ErrorKind::invalid_input, "record id " + std::to_string(record.id) +
                                                            " is out of range 1.." + std::to_string(kMaxRecordId));
    impl_->poison_on_failure = false;
    return 0;
  }
  return guarded(*impl_, [&]() -> uint64_t {
    auto& b = *impl_;
    auto counter = next_id(b);
    if (!counter) return uint64_t{0};
    const uint64_t next = *counter;
    if (record.id == 0) {
      if (next > kMaxRecordId) {
        b.error = make_error(ErrorKind::invalid_input, "state store '" + b.store->options.dir.string() +
                                                           "' has no record id left (the largest is in use)");
        b.poison_on_failure = false;
        return uint64_t{0};
      }
      record.id = next;
      if (record.created_at == 0) record.created_at = static_cast<int64_t>(std::time(nullptr));
    }
    if (record.id >= next) b.next_id = record.id + 1;
    b.new_conflicts += previous_known ? store_ops::put_record_over(b.txn, *b.store->env, record, previous)
                                      : store_ops::put_record(b.txn, *b.store->env, record);
    return record.id;
  });
}

uint64_t WriteBatch::drop_server_key(const std::string& server, const std::string& key) {
  if (!impl_->txn) return 0;
  return guarded(*impl_, [&]() -> uint64_t {
    const auto& env = *impl_->store->env;
    auto id = store_ops::lookup_backend(impl_->txn, env, key);
    if (!id) return uint64_t{0};
    auto record = store_ops::get_record(impl_->txn, env, *id);
    if (!record || backend_key(*record, server) != key) return uint64_t{0};
    record->metadata.erase(server);
    // put_record re-indexes: the key goes with the metadata; updated_at stays (no state changed).
    impl_->new_conflicts += store_ops::put_record(impl_->txn, env, *record);
    return record->id;
  });
}

void WriteBatch::set_last_sync(const std::string& server, SyncDirection direction, int64_t unix_seconds) {
  guarded(*impl_, [&]() -> int {
    store_ops::meta_put(impl_->txn, *impl_->store->env,
                        store_ops::last_sync_key(server, to_string(direction)),
                        std::to_string(unix_seconds));
    return 0;
  });
}

void WriteBatch::outbox_put(const std::string& key, std::string_view value) {
  guarded(*impl_, [&]() -> int {
    lmdb::val k(key), v(value.data(), value.size());
    lmdb::dbi_put(impl_->txn, impl_->store->env->outbox, k, v, 0);
    return 0;
  });
}

void WriteBatch::outbox_erase(const std::string& key) {
  guarded(*impl_, [&]() -> int {
    lmdb::val k(key);
    lmdb::dbi_del(impl_->txn, impl_->store->env->outbox, k, nullptr);
    return 0;
  });
}

void WriteBatch::unmatched_put(const std::string& server, const std::string& item_id, const std::string& reason,
                               const MediaItem& item) {
  guarded(*impl_, [&]() -> int {
    std::string key = server + '\0' + item_id;
    std::string value = nlohmann::json{{"reason", reason}, {"item", item}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
    lmdb::val k(key), v(value);
    lmdb::dbi_put(impl_->txn, impl_->store->env->unmatched, k, v, 0);
    return 0;
  });
}

void WriteBatch::unmatched_clear(const std::string& server) {
  guarded(*impl_, [&]() -> int {
    const std::string prefix = server + '\0';
    auto cursor = lmdb::cursor::open(impl_->txn, impl_->store->env->unmatched);
    lmdb::val key(prefix), value;
    for (bool more = cursor.get(key, value, MDB_SET_RANGE); more; more = cursor.get(key, value, MDB_NEXT)) {
      if (std::string_view(key.data(), key.size()).substr(0, prefix.size()) != prefix) break;
      int rc = ::mdb_cursor_del(cursor.handle(), 0);
      if (rc != MDB_SUCCESS) lmdb::error::raise("mdb_cursor_del", rc);
    }
    return 0;
  });
}

uint64_t WriteBatch::drop_server_item(const std::string& server, const std::string& item_id) {
  return guarded(*impl_, [&]() -> uint64_t {
    const auto& env = *impl_->store->env;
    uint64_t dropped = 0;
    for (auto& record : store_ops::records_of_item(impl_->txn, env, server, item_id)) {
      auto it = record.metadata.find(server);
      if (it == record.metadata.end() || it->second.item_id != item_id) continue;
      record.metadata.erase(it);
      impl_->new_conflicts += store_ops::put_record(impl_->txn, env, record);  // releases its keys
      ++dropped;
    }
    return dropped;
  });
}

void WriteBatch::add_unmarks_written(const std::string& server, int64_t at, uint64_t count, int64_t forget_before) {
  guarded(*impl_, [&]() -> int {
    const auto& env = *impl_->store->env;
    auto entries = store_ops::read_unmarks(impl_->txn, env, server);
    nlohmann::json kept = nlohmann::json::array();
    bool merged = false;
    for (auto& [when, n] : entries) {
      if (when < forget_before) continue;
      if (when == at) {
        n += count;
        merged = true;
      }
      kept.push_back({when, n});
    }
    if (!merged && count > 0 && at >= forget_before) kept.push_back({at, count});
    store_ops::meta_put(impl_->txn, env, store_ops::unmarks_key(server), kept.dump());
    return 0;
  });
}

bool WriteBatch::webhook_event_applied(const std::string& event_id) {
  if (!impl_->txn || impl_->error || !impl_->store->env->webhook_events) return false;
  return guarded(*impl_, [&]() -> bool {
    return store_ops::webhook_event_applied(impl_->txn, *impl_->store->env, event_id);
  });
}

void WriteBatch::webhook_event_put(const std::string& event_id, int64_t applied_at) {
  guarded(*impl_, [&]() -> int {
    const auto& env = *impl_->store->env;
    const std::string at = store_ops::be64(static_cast<uint64_t>(std::max<int64_t>(0, applied_at)));
    std::string by_id = "i" + event_id;
    std::string by_time = "t" + at + event_id;
    lmdb::val k1(by_id), v1(at), k2(by_time), v2("", 0);
    lmdb::dbi_put(impl_->txn, env.webhook_events, k1, v1, 0);
    lmdb::dbi_put(impl_->txn, env.webhook_events, k2, v2, 0);
    return 0;
  });
}

uint64_t WriteBatch::webhook_events_forget(int64_t before, uint64_t max) {
  return guarded(*impl_, [&]() -> uint64_t {
    const auto& env = *impl_->store->env;
    const std::string limit = "t" + store_ops::be64(static_cast<uint64_t>(std::max<int64_t>(0, before)));
    std::vector<std::string> old;
    {
      auto cursor = lmdb::cursor::open(impl_->txn, env.webhook_events);
      lmdb::val key("t", 1), value;
      for (bool more = cursor.get(key, value, MDB_SET_RANGE); more && old.size() < max;
           more = cursor.get(key, value, MDB_NEXT)) {
        std::string k(key.data(), key.size());
        if (k.size() < limit.size() || k.compare(0, limit.size(), limit) >= 0) break;
        old.push_back(std::move(k));
      }
    }
    for (const auto& k : old) {
      std::string by_id = "i" + k.substr(9);
      lmdb::val kt(k), ki(by_id);
      lmdb::dbi_del(impl_->txn, env.webhook_events, kt, nullptr);
      lmdb::dbi_del(impl_->txn, env.webhook_events, ki, nullptr);
    }
    return old.size();
  });
}

void WriteBatch::for_each(const std::function<bool(const Record&)>& visit) const {
  if (!impl_->txn || impl_->error) return;
  guarded(*impl_, [&]() -> int {
    store_ops::for_each_record(impl_->txn, *impl_->store->env, visit);
    return 0;
  });
}

void WriteBatch::for_each_changed_since(int64_t since, const std::function<bool(const Record&)>& visit) const {
  if (!impl_->txn || impl_->error) return;
  guarded(*impl_, [&]() -> int {
    store_ops::for_each_changed(impl_->txn, *impl_->store->env, since, visit);
    return 0;
  });
}

std::vector<Record> WriteBatch::records_of_item(const std::string& server, const std::string& item_id) const {
  if (!impl_->txn || impl_->error) return {};
  return guarded(*impl_, [&]() -> std::vector<Record> {
    return store_ops::records_of_item(impl_->txn, *impl_->store->env, server, item_id);
  });
}

const Error* WriteBatch::error() const { return impl_->error ? &*impl_->error : nullptr; }

Result<Ok> WriteBatch::commit() {
  auto& b = *impl_;
  if (b.done) return make_error(ErrorKind::invalid_input, "this write batch is already committed");
  if (!b.error && b.txn) {
    guarded(b, [&]() -> int {
      const auto& env = *b.store->env;
      if (b.next_id) store_ops::meta_put(b.txn, env, kMetaNextId, std::to_string(*b.next_id));
      if (b.new_conflicts > 0) {
        int64_t total = store_ops::meta_get_int(b.txn, env, kMetaPointerConflicts, 0);
        store_ops::meta_put(b.txn, env, kMetaPointerConflicts,
                            std::to_string(total + static_cast<int64_t>(b.new_conflicts)));
      }
      lmdb::txn_commit(std::exchange(b.txn, nullptr));  // LMDB frees the txn even when this fails
      return 0;
    });
  }
  if (b.txn) ::mdb_txn_abort(std::exchange(b.txn, nullptr));
  b.done = true;
  if (b.holds_slot) {
    b.store->batch_open = false;
    b.holds_slot = false;
  }
  if (b.error) {
    if (b.poison_on_failure && !b.store->poisoned) b.store->poisoned = b.error;
    return *b.error;
  }
  return Ok{};
}

}  // namespace ws
