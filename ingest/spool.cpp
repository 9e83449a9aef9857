#include "ws/spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include <lmdb++.h>

namespace ws {

// The environment and its databases; shared between a Spool and read_spool_stats() in the same
// process, because LMDB forbids opening one environment twice in a process.
struct SpoolEnv {
  lmdb::env env{nullptr};
  MDB_dbi pending = 0;
  MDB_dbi failed = 0;
  MDB_dbi meta = 0;
};

namespace {

constexpr int kSchemaVersion = 1;

// A transaction that is aborted unless committed. Unlike lmdb::txn it forgets its handle before
// committing: LMDB frees the transaction even when the commit fails (MDB_MAP_FULL), so it must
// not be aborted after that.
class Txn {
 public:
  Txn(MDB_env* env, unsigned flags) { lmdb::txn_begin(env, nullptr, flags, &handle_); }
  ~Txn() {
    if (handle_) ::mdb_txn_abort(handle_);
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  operator MDB_txn*() const { return handle_; }  // NOLINT: used where LMDB takes a txn
  void commit() { lmdb::txn_commit(std::exchange(handle_, nullptr)); }
  void abort() { ::mdb_txn_abort(std::exchange(handle_, nullptr)); }

 private:
  MDB_txn* handle_ = nullptr;
};
constexpr const char* kLockFile = "ingest.lock";

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
// Open environments by folder, with the pid that opened them (a forked child must not share).
std::map<std::string, std::pair<pid_t, std::weak_ptr<SpoolEnv>>>& registry() {
  static std::map<std::string, std::pair<pid_t, std::weak_ptr<SpoolEnv>>> r;
  return r;
}
std::string registry_key(const std::filesystem::path& dir) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(dir, ec);
  return (ec ? dir : canonical).string();
}

std::string be64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}
uint64_t from_be64(const MDB_val& v) {
  uint64_t out = 0;
  if (v.mv_size != 8) return 0;
  const auto* p = static_cast<const unsigned char*>(v.mv_data);
  for (size_t i = 0; i < 8; ++i) out = (out << 8) | p[i];
  return out;
}
MDB_val as_val(const std::string& s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view view_of(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

std::optional<std::string> get_text(MDB_txn* txn, MDB_dbi dbi, const std::string& key) {
  MDB_val k = as_val(key);
  MDB_val v;
  if (!lmdb::dbi_get(txn, dbi, &k, &v)) return std::nullopt;
  return std::string(view_of(v));
}

// The last key of a database as a spool id; 0 when empty.
uint64_t last_id(MDB_txn* txn, MDB_dbi dbi) {
  MDB_cursor* cursor = nullptr;
  lmdb::cursor_open(txn, dbi, &cursor);
  MDB_val k, v;
  const uint64_t id = lmdb::cursor_get(cursor, &k, &v, MDB_LAST) ? from_be64(k) : 0;
  ::mdb_cursor_close(cursor);
  return id;
}

size_t entries(MDB_txn* txn, MDB_dbi dbi) {
  MDB_stat st;
  lmdb::dbi_stat(txn, dbi, &st);
  return st.ms_entries;
}

Result<std::vector<SpoolEntry>> scan(const SpoolEnv& env, MDB_dbi dbi, uint64_t from_id, size_t max) {
  std::vector<SpoolEntry> out;
  try {
    Txn txn(env.env.handle(), MDB_RDONLY);
    MDB_cursor* cursor = nullptr;
    lmdb::cursor_open(txn, dbi, &cursor);
    const std::string start = be64(from_id);
    MDB_val k = as_val(start);
    MDB_val v;
    bool found = lmdb::cursor_get(cursor, &k, &v, MDB_SET_RANGE);
    while (found && out.size() < max) {
      auto record = SpoolRecord::decode(view_of(v));
      if (record) out.push_back(SpoolEntry{from_be64(k), std::move(record.value()), v.mv_size});
      // An undecodable record (never written by this code) is skipped, not a reason to stall.
      found = lmdb::cursor_get(cursor, &k, &v, MDB_NEXT);
    }
    ::mdb_cursor_close(cursor);
  } catch (const lmdb::error& e) {
    return make_error(ErrorKind::io, "spool: cannot read: " + std::string(e.what()));
  }
  return out;
}

Result<Ok> check_schema(MDB_txn* txn, MDB_dbi meta, const std::filesystem::path& dir) {
  auto version = get_text(txn, meta, "schema_version");
  if (!version) return make_error(ErrorKind::corruption, "spool '" + dir.string() + "' has no schema version");
  if (*version != std::to_string(kSchemaVersion))
    return make_error(ErrorKind::corruption, "spool '" + dir.string() + "' has schema version " + version->substr(0, 20) +
                                                 ", this program reads version " + std::to_string(kSchemaVersion) +
                                                 "; refusing to open it (move the folder away once it is drained)");
  return Ok{};
}

// Takes the folder's lock without waiting, or says who holds it.
Result<int> lock_folder(const std::filesystem::path& dir) {
  const auto file = dir / kLockFile;
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(ErrorKind::io, "cannot open '" + file.string() + "': " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {0};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return make_error(ErrorKind::unavailable, "the spool '" + dir.string() + "' is in use by another ingest" +
                                                  (holder.empty() ? "" : " (pid " + holder + ")"));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return fd;
}

}  // namespace

std::string SpoolRecord::encode() const {
  nlohmann::json j = {{"server", server}, {"received_at", received_at}, {"accepted_ms", accepted_ms},
                      {"event", event},   {"attempts", attempts},       {"error", last_error}};
  std::string out;
  nlohmann::json::to_msgpack(j, nlohmann::detail::output_adapter<char>(out));
  return out;
}

Result<SpoolRecord> SpoolRecord::decode(std::string_view bytes) {
  auto j = nlohmann::json::from_msgpack(bytes, true, false);
  if (j.is_discarded() || !j.is_object()) return make_error(ErrorKind::corruption, "spool record is not MessagePack");
  SpoolRecord r;
  try {
    r.server = j.value("server", "");
    r.received_at = j.value("received_at", int64_t(0));
    r.accepted_ms = j.value("accepted_ms", int64_t(0));
    r.event = j.value("event", nlohmann::json::object());
    r.attempts = j.value("attempts", 0);
    r.last_error = j.value("error", "");
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::corruption, std::string("spool record: ") + e.what());
  }
  return r;
}

Result<std::unique_ptr<Spool>> Spool::open(const std::filesystem::path& dir, SpoolOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::io, "cannot create the spool folder '" + dir.string() + "': " + ec.message());
  auto lock = lock_folder(dir);
  if (!lock) return lock.error();
  const int fd = *lock;
  auto fail = [fd](Error e) -> Result<std::unique_ptr<Spool>> {
    ::close(fd);
    return e;
  };

  std::lock_guard guard(registry_mutex());
  auto env = std::make_shared<SpoolEnv>();
  uint64_t next_id = 1;
  size_t depth = 0, failed = 0;
  try {
    env->env = lmdb::env::create();
    env->env.set_max_dbs(4);
    env->env.set_mapsize(options.map_size);
    env->env.open(dir.c_str(), MDB_NOTLS, 0600);
    int dead = 0;
    ::mdb_reader_check(env->env.handle(), &dead);
    Txn txn(env->env.handle(), 0);
    MDB_dbi meta = 0;
    const int rc = ::mdb_dbi_open(txn, "meta", 0, &meta);
    if (rc == MDB_NOTFOUND) {
      auto main = lmdb::dbi::open(txn, nullptr);
      if (main.size(txn) != 0)
        return fail(make_error(ErrorKind::corruption, "'" + dir.string() +
                                                          "' holds an LMDB environment that is not an ingest spool; "
                                                          "refusing to write to it"));
      env->meta = lmdb::dbi::open(txn, "meta", MDB_CREATE).handle();
      std::string version = std::to_string(kSchemaVersion);
      std::string key = "schema_version";
      MDB_val k = as_val(key), v = as_val(version);
      lmdb::dbi_put(txn, env->meta, &k, &v, 0);
    } else if (rc != MDB_SUCCESS) {
      lmdb::error::raise("mdb_dbi_open", rc);
    } else {
      env->meta = meta;
      if (auto ok = check_schema(txn, meta, dir); !ok) return fail(ok.error());
    }
    env->pending = lmdb::dbi::open(txn, "pending", MDB_CREATE).handle();
    env->failed = lmdb::dbi::open(txn, "failed", MDB_CREATE).handle();
    if (auto stored = get_text(txn, env->meta, "next_id")) next_id = std::max<uint64_t>(1, std::stoull("0" + *stored));
    next_id = std::max({next_id, last_id(txn, env->pending) + 1, last_id(txn, env->failed) + 1});
    depth = entries(txn, env->pending);
    failed = entries(txn, env->failed);
    txn.commit();
  } catch (const lmdb::error& e) {
    return fail(make_error(ErrorKind::io, "cannot open the spool '" + dir.string() + "': " + e.what()));
  } catch (const std::exception& e) {
    return fail(make_error(ErrorKind::corruption, "spool '" + dir.string() + "': " + e.what()));
  }
  registry()[registry_key(dir)] = {::getpid(), env};
  std::unique_ptr<Spool> spool(new Spool(dir, options, env, fd));
  spool->next_id_ = next_id;
  spool->depth_ = depth;
  spool->failed_ = failed;
  spool->committer_ = std::thread([s = spool.get()] { s->commit_loop(); });
  return spool;
}

Spool::Spool(std::filesystem::path dir, SpoolOptions options, std::shared_ptr<SpoolEnv> env, int lock_fd)
    : dir_(std::move(dir)), options_(options), env_(std::move(env)), lock_fd_(lock_fd) {}

Spool::~Spool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (committer_.joinable()) committer_.join();
  env_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void Spool::enqueue(Op op) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(op));
  }
  wake_.notify_one();
}

Result<uint64_t> Spool::append(SpoolRecord record) {
  std::promise<Result<uint64_t>> done;
  auto result = done.get_future();
  Op op;
  op.kind = OpKind::append;
  op.bytes = record.encode();
  op.done = &done;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return make_error(ErrorKind::unavailable, "the spool is closing");
    if (depth_.load() + queued_appends_ >= options_.max_events)
      return make_error(ErrorKind::unavailable, "the spool is full: " + std::to_string(options_.max_events) +
                                                    " events wait for the reconciler (webhook.spool_max)");
    ++queued_appends_;
    queue_.push_back(std::move(op));
  }
  wake_.notify_one();
  return result.get();
}

void Spool::remove(uint64_t id) { enqueue(Op{OpKind::remove, id, 0, {}, nullptr}); }

void Spool::record_refusal(uint64_t id, int attempts, std::string error) {
  enqueue(Op{OpKind::refusal, id, attempts, std::move(error), nullptr});
}

void Spool::move_to_failed(uint64_t id, int attempts, std::string error) {
  enqueue(Op{OpKind::fail, id, attempts, std::move(error), nullptr});
}

void Spool::flush() {
  std::promise<Result<uint64_t>> done;
  auto result = done.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    queue_.push_back(Op{OpKind::barrier, 0, 0, {}, &done});
  }
  wake_.notify_one();
  (void)result.get();
}

std::string Spool::last_write_error() const {
  std::lock_guard lock(const_cast<std::mutex&>(mu_));
  return write_error_;
}

void Spool::commit_loop() {
  for (;;) {
    std::vector<Op> ops;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      ops.swap(queue_);
    }
    std::string error;
    int64_t depth_delta = 0, failed_delta = 0;
    const bool committed = apply(ops, error, depth_delta, failed_delta);
    size_t appends = 0;
    for (const auto& op : ops) appends += op.kind == OpKind::append;
    {
      // Under the lock append() counts with: an event is either queued or in depth, never both.
      std::lock_guard lock(mu_);
      queued_appends_ -= appends;
      depth_.fetch_add(static_cast<size_t>(depth_delta));  // wraps: a negative delta subtracts
      failed_.fetch_add(static_cast<size_t>(failed_delta));
      if (!committed) write_error_ = error;
    }
    for (auto& op : ops) {
      if (!op.done) continue;
      if (op.kind == OpKind::barrier || committed) {
        op.done->set_value(op.id);
      } else {
        op.done->set_value(make_error(ErrorKind::io, "the spool could not be written: " + error));
      }
    }
    if (committed && appends > 0 && on_commit_) on_commit_();
  }
}

bool Spool::apply(std::vector<Op>& ops, std::string& error, int64_t& depth_out, int64_t& failed_out) {
  // Two tries: all operations; then, when that failed, all but the appends, so acks and failures
  // still land when the disk is too full for new events.
  for (int round = 0; round < 2; ++round) {
    const bool with_appends = round == 0;
    uint64_t next = next_id_;
    int64_t depth_delta = 0, failed_delta = 0;
    bool has_work = false;
    try {
      Txn txn(env_->env.handle(), 0);
      for (auto& op : ops) {
        const std::string key = be64(op.kind == OpKind::append ? next : op.id);
        MDB_val k = as_val(key);
        MDB_val v;
        switch (op.kind) {
          case OpKind::append: {
            if (!with_appends) break;
            op.id = next++;
            MDB_val data = as_val(op.bytes);
            lmdb::dbi_put(txn, env_->pending, &k, &data, 0);
            ++depth_delta;
            has_work = true;
            break;
          }
          case OpKind::remove:
            if (lmdb::dbi_del(txn, env_->pending, &k, nullptr)) --depth_delta;
            has_work = true;
            break;
          case OpKind::refusal:
          case OpKind::fail: {
            has_work = true;
            if (!lmdb::dbi_get(txn, env_->pending, &k, &v)) break;  // acked meanwhile
            auto record = SpoolRecord::decode(view_of(v));
            if (!record) break;
            record->attempts = op.attempts;
            record->last_error = op.bytes;
            const std::string bytes = record->encode();
            MDB_val data = as_val(bytes);
            if (op.kind == OpKind::refusal) {
              lmdb::dbi_put(txn, env_->pending, &k, &data, 0);
            } else {
              lmdb::dbi_put(txn, env_->failed, &k, &data, 0);
              lmdb::dbi_del(txn, env_->pending, &k, nullptr);
              --depth_delta;
              ++failed_delta;
            }
            break;
          }
          case OpKind::barrier: break;
        }
      }
      if (!has_work) {
        txn.abort();
        return with_appends;  // the second round: only the appends failed, and they stay refused
      }
      if (next != next_id_) {
        const std::string key = "next_id", value = std::to_string(next);
        MDB_val k = as_val(key), v = as_val(value);
        lmdb::dbi_put(txn, env_->meta, &k, &v, 0);
      }
      txn.commit();
      next_id_ = next;
      depth_out = depth_delta;
      failed_out = failed_delta;
      if (with_appends) {
        writable_ = true;
        return true;
      }
      return false;  // the appends were refused; the rest landed
    } catch (const lmdb::error& e) {
      if (error.empty()) error = e.what();
      writable_ = false;
    }
  }
  return false;
}

Result<std::vector<SpoolEntry>> Spool::pending(uint64_t from_id, size_t max) const {
  return scan(*env_, env_->pending, from_id, max);
}

Result<std::vector<SpoolEntry>> Spool::failed(size_t max) const { return scan(*env_, env_->failed, 0, max); }

Result<std::optional<SpoolEntry>> Spool::get(uint64_t id) const {
  auto one = scan(*env_, env_->pending, id, 1);
  if (!one) return one.error();
  if (one->empty() || one->front().id != id) return std::optional<SpoolEntry>{};
  return std::optional<SpoolEntry>{std::move(one->front())};
}

Result<SpoolStats> read_spool_stats(const std::filesystem::path& dir) {
  std::error_code ec;
  SpoolStats stats;
  if (!std::filesystem::exists(dir / "data.mdb", ec))
    return make_error(ErrorKind::not_found, "no spool in '" + dir.string() + "'");
  stats.file_bytes = std::filesystem::file_size(dir / "data.mdb", ec);
  std::shared_ptr<SpoolEnv> env;
  {
    std::lock_guard guard(registry_mutex());
    auto it = registry().find(registry_key(dir));
    if (it != registry().end() && it->second.first == ::getpid()) env = it->second.second.lock();
  }
  try {
    if (!env) {
      env = std::make_shared<SpoolEnv>();
      env->env = lmdb::env::create();
      env->env.set_max_dbs(4);
      env->env.open(dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0600);
      Txn txn(env->env.handle(), MDB_RDONLY);
      MDB_dbi meta = 0;
      if (::mdb_dbi_open(txn, "meta", 0, &meta) != MDB_SUCCESS ||
          ::mdb_dbi_open(txn, "pending", 0, &env->pending) != MDB_SUCCESS ||
          ::mdb_dbi_open(txn, "failed", 0, &env->failed) != MDB_SUCCESS)
        return make_error(ErrorKind::corruption, "'" + dir.string() + "' is not an ingest spool");
      if (auto ok = check_schema(txn, meta, dir); !ok) return ok.error();
      env->meta = meta;
      txn.commit();
    }
    Txn txn(env->env.handle(), MDB_RDONLY);
    stats.pending = entries(txn, env->pending);
    stats.failed = entries(txn, env->failed);
    txn.abort();
    auto oldest = scan(*env, env->pending, 0, 1);
    if (oldest && !oldest->empty()) stats.oldest_pending_at = oldest->front().record.received_at;
  } catch (const lmdb::error& e) {
    return make_error(ErrorKind::io, "cannot read the spool '" + dir.string() + "': " + e.what());
  }
  return stats;
}

}  // namespace ws
