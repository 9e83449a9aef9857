#include "ws/store.h"

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <utility>

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <nlohmann/json.hpp>

#include "store_impl.h"
#include "store_ops.h"
#include "ws/match_keys.h"

namespace ws {
namespace {

// A read transaction for one look-up; NOTLS makes it legal beside an open write batch.
lmdb::txn read_txn(const StoreEnv& env) { return lmdb::txn::begin(env.env.handle(), nullptr, MDB_RDONLY); }

}  // namespace

std::string_view to_string(SyncDirection direction) {
  switch (direction) {
    case SyncDirection::import: return "import";
    case SyncDirection::full_import: return "full_import";
    case SyncDirection::delta_import: return "delta_import";
    case SyncDirection::export_: return "export";
  }
  return "export";
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const Options& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (options.dir.empty()) return make_error(ErrorKind::invalid_input, "the state store folder is not set");
  if (!options.read_only) {
    std::error_code ec;
    std::filesystem::create_directories(options.dir, ec);
    if (ec) {
      return make_error(ErrorKind::io, "cannot create the state folder '" + options.dir.string() + "': " + ec.message());
    }
    // The lock comes first: a refused writer must not touch the environment at all.
    auto lock = WriterLock::acquire(options.dir);
    if (!lock) return lock.error();
    impl->lock.emplace(std::move(lock).value());
  }
  auto env = open_store_env(options.dir, !options.read_only, options.map_size, kStoreSchemaVersion);
  if (!env) return env.error();
  impl->env = std::move(env).value();
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

const std::filesystem::path& Store::dir() const { return impl_->options.dir; }

void Store::release_mapped_pages() const {
  if (!impl_->env) return;
  // LMDB does not tell where it mapped the file: /proc/self/maps does (by the file's inode).
  struct stat file;
  if (::stat((impl_->options.dir / "data.mdb").c_str(), &file) != 0) return;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    uintptr_t start = 0, end = 0;
    unsigned long long offset = 0, inode = 0;
    unsigned major = 0, minor = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " %*s %llx %x:%x %llu", &start, &end, &offset, &major,
                    &minor, &inode) != 6)
      continue;
    if (inode != file.st_ino || makedev(major, minor) != file.st_dev) continue;
    // Advice only: a failure leaves the pages mapped, nothing else.
    (void)::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  }
}

WriteBatch Store::begin_write() {
  auto& s = *impl_;
  // A batch that fails at once: misuse, or a store that refuses writes. Its failure does not
  // poison the store (nothing was attempted).
  auto failed_batch = [](Store::Impl* store, Error error, bool poison) {
    auto impl = std::make_unique<WriteBatch::Impl>();
    impl->store = store;
    impl->error = std::move(error);
    impl->poison_on_failure = poison;
    return WriteBatch(std::move(impl));
  };
  if (s.options.read_only) {
    return failed_batch(&s, make_error(ErrorKind::invalid_input, "state store '" + s.options.dir.string() +
                                                                     "' is open read-only; it cannot be written"),
                        false);
  }
  if (s.poisoned) {
    return failed_batch(&s,
                        make_error(s.poisoned->kind, "state store '" + s.options.dir.string() +
                                                         "' refuses writes after a failed commit (" +
                                                         s.poisoned->message + ") until it is re-opened"),
                        false);
  }
  if (!s.env) {
    return failed_batch(
        &s, make_error(ErrorKind::unavailable, "state store '" + s.options.dir.string() + "' is not open"), false);
  }
  if (s.batch_open) {
    return failed_batch(&s, make_error(ErrorKind::invalid_input, "state store '" + s.options.dir.string() +
                                                                     "' already has an open write batch"),
                        false);
  }
  auto impl = std::make_unique<WriteBatch::Impl>();
  impl->store = &s;
  try {
    lmdb::txn_begin(s.env->env.handle(), nullptr, 0, &impl->txn);
  } catch (const lmdb::error& e) {
    impl->error = make_error(ErrorKind::io, "cannot start a write to the state store '" + s.options.dir.string() +
                                                "': " + e.what());
    return WriteBatch(std::move(impl));
  }
  impl->holds_slot = true;
  s.batch_open = true;
  return WriteBatch(std::move(impl));
}

const Error* Store::failure() const { return impl_->poisoned ? &*impl_->poisoned : nullptr; }

Result<Ok> Store::reopen(size_t map_size) {
  auto& s = *impl_;
  const std::string dir = s.options.dir.string();
  if (s.options.read_only) return make_error(ErrorKind::invalid_input, "state store '" + dir + "' is open read-only");
  if (s.batch_open) {
    return make_error(ErrorKind::invalid_input, "state store '" + dir + "' cannot be re-opened during a write batch");
  }
  std::shared_ptr<StoreEnv> env = std::move(s.env);
  if (env && env.use_count() > 1) {
    // A reader of this process shares the environment: it cannot be closed under it, but LMDB
    // lets the map grow in place while no transaction is active.
    int rc = ::mdb_env_set_mapsize(env->env.handle(), map_size);
    s.env = std::move(env);
    if (rc != MDB_SUCCESS) {
      return make_error(ErrorKind::io, "cannot resize the state store '" + dir + "': " + ::mdb_strerror(rc));
    }
  } else {
    env.reset();  // the last owner: closes the environment (the registry only watches it)
    auto opened = open_store_env(s.options.dir, true, map_size, kStoreSchemaVersion);
    if (!opened) {
      // Keep answering reads with the size that worked before (a map too large to reserve).
      if (auto back = open_store_env(s.options.dir, true, s.options.map_size, kStoreSchemaVersion)) s.env = *back;
      return make_error(opened.error().kind, "cannot re-open the state store: " + opened.error().message);
    }
    s.env = std::move(opened).value();
  }
  s.options.map_size = map_size;
  s.poisoned.reset();
  return Ok{};
}

Result<StoreCompaction> Store::compact(const StoreCompactionOptions& options) {
  auto& s = *impl_;
  const std::string dir = s.options.dir.string();
  if (s.options.read_only) return make_error(ErrorKind::invalid_input, "state store '" + dir + "' is open read-only");
  if (s.batch_open) {
    return make_error(ErrorKind::invalid_input, "state store '" + dir + "' cannot be compacted during a write batch");
  }
  StoreCompaction skipped;
  if (!s.env || s.poisoned) {
    skipped.skipped = "it refuses writes";
    return skipped;
  }
  if (s.env.use_count() > 1) {
    skipped.skipped = "open in this process";
    return skipped;
  }
  std::error_code ec;
  skipped.bytes_before = skipped.bytes_after = std::filesystem::file_size(s.options.dir / "data.mdb", ec);
  if (!ec && skipped.bytes_before < options.min_bytes) {
    skipped.skipped = "smaller than the least gain worth a copy";  // not worth closing the environment
    return skipped;
  }
  StoreCompactionOptions own = options;
  own.dir = s.options.dir;
  own.map_size = s.options.map_size;
  own.writer_lock_held = true;  // s.lock, kept while the environment is closed
  s.env.reset();                // the last owner: closes the environment
  auto done = compact_store_if_sparse(own);
  auto opened = open_store_env(s.options.dir, true, s.options.map_size, kStoreSchemaVersion);
  if (!opened) {
    s.poisoned = make_error(opened.error().kind, "cannot re-open the state store after compacting it: " +
                                                     opened.error().message);
    return *s.poisoned;
  }
  s.env = std::move(opened).value();
  return done;
}

std::optional<Record> Store::get(uint64_t id) const {
  if (!impl_->env) return std::nullopt;
  auto txn = read_txn(*impl_->env);
  return store_ops::get_record(txn, *impl_->env, id);
}

std::optional<Record> Store::find(const MediaItem& item) const {
  if (!impl_->env) return std::nullopt;
  auto txn = read_txn(*impl_->env);
  return store_ops::find_record(txn, *impl_->env, item);
}

std::vector<Record> Store::find_by_guid(const std::string& source, const std::string& value) const {
  std::vector<Record> found;
  if (!impl_->env) return found;
  Guids guids{{source, value}};
  auto txn = read_txn(*impl_->env);
  for (MediaType type : {MediaType::movie, MediaType::episode}) {
    for (const auto& key : guid_keys(guids, type)) {
      auto id = store_ops::lookup_match(txn, *impl_->env, key);
      if (!id) continue;
      bool seen = false;
      for (const auto& r : found) seen = seen || r.id == *id;
      if (seen) continue;
      if (auto record = store_ops::get_record(txn, *impl_->env, *id)) found.push_back(std::move(*record));
    }
  }
  return found;
}

void Store::for_each(const std::function<bool(const Record&)>& visit) const {
  if (!impl_->env) return;
  auto txn = read_txn(*impl_->env);
  store_ops::for_each_record(txn, *impl_->env, visit);
}

void Store::for_each_changed_since(int64_t since, const std::function<bool(const Record&)>& visit) const {
  if (!impl_->env) return;
  auto txn = read_txn(*impl_->env);
  store_ops::for_each_changed(txn, *impl_->env, since, visit);
}

std::vector<Record> Store::records_of_item(const std::string& server, const std::string& item_id) const {
  if (!impl_->env) return {};
  auto txn = read_txn(*impl_->env);
  return store_ops::records_of_item(txn, *impl_->env, server, item_id);
}

uint64_t Store::unmarks_written(const std::string& server, int64_t since) const {
  if (!impl_->env) return 0;
  auto txn = read_txn(*impl_->env);
  uint64_t total = 0;
  for (const auto& [at, count] : store_ops::read_unmarks(txn, *impl_->env, server))
    if (at >= since) total += count;
  return total;
}

bool Store::webhook_event_applied(const std::string& event_id) const {
  if (!impl_->env) return false;
  auto txn = read_txn(*impl_->env);
  return store_ops::webhook_event_applied(txn, *impl_->env, event_id);
}

void Store::for_each_backend_key(const std::string& server,
                                 const std::function<bool(std::string_view, uint64_t)>& visit) const {
  if (server.empty() || !impl_->env) return;
  auto txn = read_txn(*impl_->env);
  auto cursor = lmdb::cursor::open(txn, impl_->env->pointers);
  const std::string prefix = store_ops::backend_disk_key(server + "/");
  lmdb::val key(prefix), value;
  std::string text;
  for (bool more = cursor.get(key, value, MDB_SET_RANGE); more; more = cursor.get(key, value, MDB_NEXT)) {
    const std::string_view k(key.data(), key.size());
    if (k.substr(0, prefix.size()) != prefix) break;
    const auto id = store_ops::parse_pointer_value({value.data(), value.size()});
    if (!id) continue;
    text.clear();
    store_ops::append_backend_key_of_disk(text, k);
    if (!visit(text, *id)) break;
  }
}

int64_t Store::last_sync(const std::string& server, SyncDirection direction) const {
  if (!impl_->env) return 0;
  auto txn = read_txn(*impl_->env);
  return store_ops::meta_get_int(txn, *impl_->env,
                                 store_ops::last_sync_key(server, to_string(direction)), 0);
}

std::string_view Store::last_import_kind(const std::string& server) const {
  if (last_sync(server, SyncDirection::import) == 0) return "";
  return last_sync(server, SyncDirection::delta_import) != 0 ? "delta" : "full";
}

void Store::for_each_unmatched(
    const std::string& server,
    const std::function<bool(const std::string&, const std::string&, const MediaItem&)>& visit) const {
  if (!impl_->env) return;
  auto txn = read_txn(*impl_->env);
  auto cursor = lmdb::cursor::open(txn, impl_->env->unmatched);
  const std::string prefix = server.empty() ? "" : server + '\0';
  // lmdbxx's std::string overload of get() ignores the key it is given: position with lmdb::val.
  lmdb::val start(prefix), found_value;
  bool more = prefix.empty() ? cursor.get(start, found_value, MDB_FIRST) : cursor.get(start, found_value, MDB_SET_RANGE);
  std::string key, value;
  if (more) {
    key.assign(start.data(), start.size());
    value.assign(found_value.data(), found_value.size());
  }
  for (; more; more = cursor.get(key, value, MDB_NEXT)) {
    if (key.compare(0, prefix.size(), prefix) != 0) break;
    auto sep = key.find('\0');
    auto j = nlohmann::json::parse(value, nullptr, false);
    if (sep == std::string::npos || j.is_discarded()) continue;
    MediaItem item;
    try {
      item = j.at("item").get<MediaItem>();
    } catch (const nlohmann::json::exception&) {
      continue;  // an entry this build cannot read is not worth failing the listing for
    }
    if (!visit(key.substr(0, sep), j.value("reason", ""), item)) break;
  }
}

std::vector<std::pair<std::string, std::string>> Store::outbox() const {
  std::vector<std::pair<std::string, std::string>> entries;
  if (!impl_->env) return entries;
  auto txn = read_txn(*impl_->env);
  auto cursor = lmdb::cursor::open(txn, impl_->env->outbox);
  std::string key, value;
  for (bool more = cursor.get(key, value, MDB_FIRST); more; more = cursor.get(key, value, MDB_NEXT)) {
    entries.emplace_back(key, value);
  }
  return entries;
}

}  // namespace ws
