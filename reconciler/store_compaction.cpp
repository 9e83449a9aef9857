#include "ws/store_compaction.h"

#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <lmdb.h>

#include "store_env.h"
#include "store_files.h"
#include "writer_lock.h"

namespace ws {
namespace {

constexpr const char* kBuildFolder = "compact.tmp";
constexpr MDB_dbi kMaxDbs = 16;  // more than a store has (store_env.cpp): a copy takes them all
// Bytes of entries per transaction of the copy: LMDB keeps a transaction's dirty pages in the
// heap, so this bounds the memory a compaction needs.
constexpr uint64_t kBytesPerTransaction = uint64_t(8) << 20;

// LMDB's page layout (mdb.c): a page header, then per entry a 2-byte index and a node of an
// 8-byte header, the key and the data (or, past `node_max`, an 8-byte overflow page number), its
// size rounded up to even.
constexpr uint64_t kPageHeader = 16;
constexpr uint64_t kNodeHeader = 8;

Error lmdb_error(const std::filesystem::path& dir, const std::string& what, int rc) {
  return make_error(ErrorKind::io, "cannot compact the state store '" + dir.string() + "': " + what + ": " +
                                       ::mdb_strerror(rc));
}

// An MDB_env that closes itself.
struct Env {
  MDB_env* env = nullptr;
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  ~Env() { close(); }
  void close() {
    if (env) ::mdb_env_close(env);
    env = nullptr;
  }
};

// An MDB_txn aborted unless committed.
struct Txn {
  MDB_txn* txn = nullptr;
  Txn() = default;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() {
    if (txn) ::mdb_txn_abort(txn);
  }
  int commit() {
    int rc = ::mdb_txn_commit(txn);
    txn = nullptr;
    return rc;
  }
};

struct Cursor {
  MDB_cursor* cursor = nullptr;
  Cursor() = default;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor() {
    if (cursor) ::mdb_cursor_close(cursor);
  }
};

int open_env(Env& env, const std::filesystem::path& dir, unsigned flags, size_t map_size) {
  if (int rc = ::mdb_env_create(&env.env); rc != MDB_SUCCESS) return rc;
  if (int rc = ::mdb_env_set_maxdbs(env.env, kMaxDbs); rc != MDB_SUCCESS) return rc;
  if (int rc = ::mdb_env_set_mapsize(env.env, map_size); rc != MDB_SUCCESS) return rc;
  return ::mdb_env_open(env.env, dir.c_str(), flags | MDB_NOTLS, 0600);
}

// One named database of the source: its name and flags.
struct NamedDb {
  std::string name;
  unsigned flags = 0;
  MDB_dbi dbi = 0;
};

// The named databases of an environment (the keys of its main database).
Result<std::vector<NamedDb>> named_dbs(MDB_txn* txn, const std::filesystem::path& dir) {
  std::vector<NamedDb> dbs;
  MDB_dbi main = 0;
  if (int rc = ::mdb_dbi_open(txn, nullptr, 0, &main); rc != MDB_SUCCESS) return lmdb_error(dir, "main database", rc);
  Cursor cursor;
  if (int rc = ::mdb_cursor_open(txn, main, &cursor.cursor); rc != MDB_SUCCESS) return lmdb_error(dir, "cursor", rc);
  MDB_val key{}, value{};
  for (int rc = ::mdb_cursor_get(cursor.cursor, &key, &value, MDB_FIRST); rc == MDB_SUCCESS;
       rc = ::mdb_cursor_get(cursor.cursor, &key, &value, MDB_NEXT)) {
    NamedDb db;
    db.name.assign(static_cast<const char*>(key.mv_data), key.mv_size);
    if (db.name.find('\0') != std::string::npos) {
      return make_error(ErrorKind::corruption, "'" + dir.string() + "' holds an LMDB environment that is not a " +
                                                   "watchstate store (a database name with a NUL byte)");
    }
    int rc_open = ::mdb_dbi_open(txn, db.name.c_str(), 0, &db.dbi);
    if (rc_open == MDB_INCOMPATIBLE) {
      return make_error(ErrorKind::corruption, "'" + dir.string() + "' holds an LMDB environment that is not a " +
                                                   "watchstate store (data in its main database)");
    }
    if (rc_open != MDB_SUCCESS) return lmdb_error(dir, "database '" + db.name + "'", rc_open);
    if (int rc_flags = ::mdb_dbi_flags(txn, db.dbi, &db.flags); rc_flags != MDB_SUCCESS) {
      return lmdb_error(dir, "database '" + db.name + "'", rc_flags);
    }
    dbs.push_back(std::move(db));
  }
  return dbs;
}

// The size the databases would take written by appends: every entry's node, pages filled but
// for about half a node each, a branch entry per leaf page, and the environment's own pages.
Result<uint64_t> estimate_copy(MDB_env* env, MDB_txn* txn, const std::vector<NamedDb>& dbs,
                               const std::filesystem::path& dir) {
  MDB_stat stat{};
  ::mdb_env_stat(env, &stat);
  const uint64_t page = stat.ms_psize;
  const uint64_t usable = page - kPageHeader;
  const uint64_t node_max = (usable / 2) & ~uint64_t(1);
  uint64_t pages = 4;  // two meta pages, the main database, the free list
  for (const auto& db : dbs) {
    Cursor cursor;
    if (int rc = ::mdb_cursor_open(txn, db.dbi, &cursor.cursor); rc != MDB_SUCCESS) {
      return lmdb_error(dir, "cursor on '" + db.name + "'", rc);
    }
    uint64_t bytes = 0, entries = 0, key_bytes = 0;
    MDB_val key{}, value{};
    for (int rc = ::mdb_cursor_get(cursor.cursor, &key, &value, MDB_FIRST); rc == MDB_SUCCESS;
         rc = ::mdb_cursor_get(cursor.cursor, &key, &value, MDB_NEXT)) {
      uint64_t node = kNodeHeader + key.mv_size + value.mv_size;
      if (node > node_max) {
        node = kNodeHeader + key.mv_size + sizeof(uint64_t);
        pages += (value.mv_size + kPageHeader + page - 1) / page;
      }
      bytes += ((node + 1) & ~uint64_t(1)) + 2;
      key_bytes += key.mv_size;
      ++entries;
    }
    if (entries == 0) continue;
    const uint64_t average = bytes / entries;
    const uint64_t leaves = (bytes + usable - average / 2 - 1) / (usable - average / 2);
    const uint64_t branch_entry = kNodeHeader + key_bytes / entries + 2;
    pages += leaves + (leaves > 1 ? (leaves * branch_entry + usable - 1) / usable + 1 : 0);
  }
  return pages * page;
}

// Copies every database of `from` into `to` in key order, by appends.
Result<Ok> copy_dbs(MDB_txn* from, MDB_env* to, const std::vector<NamedDb>& dbs, const std::filesystem::path& dir,
                    const std::filesystem::path& build_dir) {
  Txn txn;
  if (int rc = ::mdb_txn_begin(to, nullptr, 0, &txn.txn); rc != MDB_SUCCESS) {
    return lmdb_error(build_dir, "begin a write", rc);
  }
  uint64_t in_txn = 0;
  for (const auto& db : dbs) {
    const unsigned create = MDB_CREATE | (db.flags & (MDB_REVERSEKEY | MDB_DUPSORT | MDB_INTEGERKEY | MDB_DUPFIXED |
                                                      MDB_INTEGERDUP | MDB_REVERSEDUP));
    MDB_dbi target = 0;
    if (int rc = ::mdb_dbi_open(txn.txn, db.name.c_str(), create, &target); rc != MDB_SUCCESS) {
      return lmdb_error(build_dir, "create database '" + db.name + "'", rc);
    }
    const unsigned append = (db.flags & MDB_DUPSORT) ? (MDB_APPEND | MDB_APPENDDUP) : MDB_APPEND;
    Cursor cursor;
    if (int rc = ::mdb_cursor_open(from, db.dbi, &cursor.cursor); rc != MDB_SUCCESS) {
      return lmdb_error(dir, "cursor on '" + db.name + "'", rc);
    }
    MDB_val key{}, value{};
    int rc = ::mdb_cursor_get(cursor.cursor, &key, &value, MDB_FIRST);
    for (; rc == MDB_SUCCESS; rc = ::mdb_cursor_get(cursor.cursor, &key, &value, MDB_NEXT)) {
      if (int put = ::mdb_put(txn.txn, target, &key, &value, append); put != MDB_SUCCESS) {
        return lmdb_error(build_dir, "write to '" + db.name + "'", put);
      }
      in_txn += key.mv_size + value.mv_size + kNodeHeader;
      if (in_txn >= kBytesPerTransaction) {
        if (int done = txn.commit(); done != MDB_SUCCESS) return lmdb_error(build_dir, "commit", done);
        if (int next = ::mdb_txn_begin(to, nullptr, 0, &txn.txn); next != MDB_SUCCESS) {
          return lmdb_error(build_dir, "begin a write", next);
        }
        in_txn = 0;
      }
    }
    if (rc != MDB_NOTFOUND) return lmdb_error(dir, "read '" + db.name + "'", rc);
  }
  if (int done = txn.commit(); done != MDB_SUCCESS) return lmdb_error(build_dir, "commit", done);
  return Ok{};
}

// Whether both environments hold the same databases with the same numbers of entries: a cheap
// check that the copy is whole before it replaces anything.
Result<Ok> same_counts(MDB_txn* from, MDB_env* to, const std::vector<NamedDb>& dbs,
                       const std::filesystem::path& build_dir) {
  Txn txn;
  if (int rc = ::mdb_txn_begin(to, nullptr, MDB_RDONLY, &txn.txn); rc != MDB_SUCCESS) {
    return lmdb_error(build_dir, "begin a read", rc);
  }
  for (const auto& db : dbs) {
    MDB_dbi target = 0;
    MDB_stat was{}, is{};
    if (int rc = ::mdb_dbi_open(txn.txn, db.name.c_str(), 0, &target); rc != MDB_SUCCESS) {
      return lmdb_error(build_dir, "database '" + db.name + "'", rc);
    }
    ::mdb_stat(from, db.dbi, &was);
    ::mdb_stat(txn.txn, target, &is);
    if (was.ms_entries != is.ms_entries) {
      return make_error(ErrorKind::io, "the compacted copy in '" + build_dir.string() + "' holds " +
                                           std::to_string(is.ms_entries) + " entries in '" + db.name +
                                           "' instead of " + std::to_string(was.ms_entries));
    }
  }
  return Ok{};
}

uint64_t data_file_size(const std::filesystem::path& file) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  return ec ? 0 : size;
}

}  // namespace

Result<StoreCompaction> compact_store_if_sparse(const StoreCompactionOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const auto& dir = options.dir;
  StoreCompaction result;
  auto done = [&](std::string skipped) {
    result.skipped = std::move(skipped);
    result.bytes_after = data_file_size(dir / "data.mdb");
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  };
  result.bytes_before = data_file_size(dir / "data.mdb");
  if (result.bytes_before == 0) return done("no store");
  if (result.bytes_before < options.min_bytes) return done("smaller than the least gain worth a copy");
  if (store_env_open_in_process(dir)) return done("open in this process");
  std::optional<WriterLock> lock;
  if (!options.writer_lock_held) {
    auto acquired = WriterLock::acquire(dir);
    if (!acquired) return done("a writer holds it (" + acquired.error().message + ")");
    lock.emplace(std::move(acquired).value());
  }

  const auto build_dir = dir / kBuildFolder;
  std::error_code ec;
  std::filesystem::remove_all(build_dir, ec);  // an interrupted compaction's leftovers
  if (ec) return make_error(ErrorKind::io, "cannot remove '" + build_dir.string() + "': " + ec.message());
  struct RemoveBuild {
    std::filesystem::path dir;
    ~RemoveBuild() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } remove_build{build_dir};

  {
    // The source, read-only: nothing writes it while the writer lock is held, so one read
    // transaction sees what the swap replaces. Closed before the swap (closing drops this
    // process's fcntl locks on lock.mdb, the swap's among them).
    Env source;
    if (int rc = open_env(source, dir, MDB_RDONLY, options.map_size); rc != MDB_SUCCESS) {
      return lmdb_error(dir, "open", rc);
    }
    Txn read;
    if (int rc = ::mdb_txn_begin(source.env, nullptr, MDB_RDONLY, &read.txn); rc != MDB_SUCCESS) {
      return lmdb_error(dir, "begin a read", rc);
    }
    auto dbs = named_dbs(read.txn, dir);
    if (!dbs) return dbs.error();
    auto estimate = estimate_copy(source.env, read.txn, *dbs, dir);
    if (!estimate) return estimate.error();
    result.estimated_after = *estimate;
    const uint64_t gain = result.bytes_before > *estimate ? result.bytes_before - *estimate : 0;
    if (gain < options.min_bytes || double(gain) < options.min_gain * double(result.bytes_before)) {
      return done("dense enough (a copy would take about " + std::to_string(*estimate >> 20) + " MiB)");
    }

    std::filesystem::create_directories(build_dir, ec);
    if (ec) return make_error(ErrorKind::io, "cannot create '" + build_dir.string() + "': " + ec.message());
    // Nothing reads the new environment before it is complete: its commits need not reach the
    // disk one by one; it is synced once, before the rename.
    Env target;
    if (int rc = open_env(target, build_dir, MDB_NOSYNC, options.map_size); rc != MDB_SUCCESS) {
      return lmdb_error(build_dir, "create", rc);
    }
    if (auto copied = copy_dbs(read.txn, target.env, *dbs, dir, build_dir); !copied) return copied.error();
    if (auto same = same_counts(read.txn, target.env, *dbs, build_dir); !same) return same.error();
    if (int rc = ::mdb_env_sync(target.env, 1); rc != MDB_SUCCESS) return lmdb_error(build_dir, "sync", rc);
  }
  if (options.on_step) options.on_step("built");

  // The swap: no other process may have the live environment open (its lock file would not
  // match the new data), and none may open it until the new file is in place.
  auto readers_out = lock_out_readers(dir, options.reader_wait);
  if (!readers_out) {
    if (readers_out.error().kind == ErrorKind::unavailable) return done("another process has it open");
    return readers_out.error();
  }
  const int lock_fd = readers_out.value();
  std::filesystem::rename(build_dir / "data.mdb", dir / "data.mdb", ec);
  if (ec) {
    ::close(lock_fd);
    return make_error(ErrorKind::io, "cannot move the compacted state into '" + dir.string() + "': " + ec.message());
  }
  if (options.on_step) options.on_step("renamed");
  auto synced = sync_folder(dir);
  // LMDB in this process takes the lock file as its first opener (the fcntl lock is this
  // process's) and initializes it from the new data file; closing it, then our descriptor, lets
  // the readers waiting in their open come in to a lock file that matches the data.
  {
    Env reopened;
    int rc = open_env(reopened, dir, MDB_RDONLY, options.map_size);
    reopened.close();
    ::close(lock_fd);
    if (rc != MDB_SUCCESS) return lmdb_error(dir, "open the compacted state", rc);
  }
  if (!synced) return synced.error();
  result.compacted = true;
  return done("");
}

}  // namespace ws
