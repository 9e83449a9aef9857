#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "store_impl.h"
#include "store_ops.h"

namespace ws {
namespace {

std::string gib(size_t bytes) {
  double value = static_cast<double>(bytes) / double(1u << 30);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f GiB", value);
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
                                            gib(b.store->options.map_size) +
                                            ") is used up; raise the store's map size and import again");
  } catch (const lmdb::error& e) {
    b.error = make_error(ErrorKind::io, "write to the state store '" + dir.string() + "' failed: " + e.what());
  }
  return R{};
}

uint64_t next_id(WriteBatch::Impl& b) {
  if (!b.next_id) {
    int64_t stored = store_ops::meta_get_int(b.txn, *b.store->env, kMetaNextId, 1);
    b.next_id = stored > 0 ? static_cast<uint64_t>(stored) : 1;
  }
  return *b.next_id;
}

}  // namespace

std::optional<Record> WriteBatch::find(const MediaItem& item) {
  if (!impl_->txn) return std::nullopt;
  return guarded(*impl_, [&]() -> std::optional<Record> {
    return store_ops::find_record(impl_->txn, *impl_->store->env, item);
  });
}

std::optional<Record> WriteBatch::get(uint64_t id) {
  if (!impl_->txn) return std::nullopt;
  return guarded(*impl_, [&]() -> std::optional<Record> {
    return store_ops::get_record(impl_->txn, *impl_->store->env, id);
  });
}

uint64_t WriteBatch::put(Record& record) {
  return guarded(*impl_, [&]() -> uint64_t {
    auto& b = *impl_;
    uint64_t next = next_id(b);
    if (record.id == 0) {
      record.id = next;
      if (record.created_at == 0) record.created_at = static_cast<int64_t>(std::time(nullptr));
    }
    if (record.id >= next) b.next_id = record.id + 1;
    b.new_conflicts += store_ops::put_record(b.txn, *b.store->env, record);
    return record.id;
  });
}

void WriteBatch::set_last_sync(const std::string& server, SyncDirection direction, int64_t unix_seconds) {
  guarded(*impl_, [&]() -> int {
    store_ops::meta_put(impl_->txn, *impl_->store->env,
                        store_ops::last_sync_key(server, direction == SyncDirection::import),
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
