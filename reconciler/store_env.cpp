#include "store_env.h"

#include <unistd.h>

#include <map>
#include <mutex>
#include <string>
#include <system_error>

#include <spdlog/spdlog.h>

#include "store_migration.h"

namespace ws {
namespace {

// Named databases; the main database holds nothing else.
constexpr MDB_dbi kMaxDbs = 12;  // 7 in use (8 while migrating); room to add one without touching this

struct RegistryEntry {
  pid_t pid = 0;  // the process that opened it: a forked child must not touch it
  std::weak_ptr<StoreEnv> env;
};

std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::map<std::string, RegistryEntry>& registry() {
  static std::map<std::string, RegistryEntry> entries;
  return entries;
}

std::string registry_key(const std::filesystem::path& dir) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(dir, ec);
  return (ec ? dir : canonical).string();
}

std::string text(const lmdb::val& value) { return std::string(value.data(), value.size()); }

Error schema_error(const std::filesystem::path& dir, const std::string& found, int expected) {
  return make_error(ErrorKind::corruption,
                    "state store '" + dir.string() + "' has schema version " + found +
                        ", this program reads version " + std::to_string(expected) +
                        "; refusing to open it (use the matching watchstate version, or move the folder away)");
}

// The version a writer migrates from (store_migration.h).
constexpr const char* kMigratableVersion = "1";

std::string stored_version(MDB_txn* txn, MDB_dbi meta) {
  lmdb::val key(kMetaSchemaVersion);
  lmdb::val value;
  return lmdb::dbi_get(txn, meta, key, value) ? text(value) : std::string();
}

// Checks the schema version in an open transaction; the meta database must exist.
Result<Ok> check_version(MDB_txn* txn, MDB_dbi meta, const std::filesystem::path& dir, int expected) {
  lmdb::val key(kMetaSchemaVersion);
  lmdb::val value;
  if (!lmdb::dbi_get(txn, meta, key, value)) return schema_error(dir, "(none: unknown)", expected);
  std::string found = text(value);
  if (found == kMigratableVersion && expected == 2) {
    return make_error(ErrorKind::corruption,
                      "state store '" + dir.string() + "' has schema version 1, this program reads version 2; a " +
                          "writer migrates it when it opens it: run `watchstate state:import` (or start " +
                          "ws-reconciler) once, then read it again");
  }
  if (found != std::to_string(expected)) {
    bool numeric = !found.empty() && found.size() < 10 && found.find_first_not_of("0123456789") == std::string::npos;
    return schema_error(dir, numeric ? found : "'" + found.substr(0, 40) + "' (unknown)", expected);
  }
  return Ok{};
}

bool has_dbi(MDB_txn* txn, const char* name, MDB_dbi* dbi) {
  int rc = ::mdb_dbi_open(txn, name, 0, dbi);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != MDB_SUCCESS) lmdb::error::raise("mdb_dbi_open", rc);
  return true;
}

void open_all(MDB_txn* txn, StoreEnv& env, unsigned flags) {
  env.state = lmdb::dbi::open(txn, "state", flags).handle();
  env.pointers = lmdb::dbi::open(txn, "pointers", flags).handle();
  env.meta = lmdb::dbi::open(txn, "meta", flags).handle();
  env.outbox = lmdb::dbi::open(txn, "outbox", flags).handle();
  env.changes = lmdb::dbi::open(txn, "changes", flags).handle();
  env.unmatched = lmdb::dbi::open(txn, "unmatched", flags).handle();
  // Added after schema 1 shipped: a writer creates it; a reader of an older store goes without.
  if (flags & MDB_CREATE) {
    env.webhook_events = lmdb::dbi::open(txn, "webhook_events", flags).handle();
  } else if (MDB_dbi dbi = 0; has_dbi(txn, "webhook_events", &dbi)) {
    env.webhook_events = dbi;
  }
}

Result<Ok> setup_writable(StoreEnv& env, int schema_version) {
  auto txn = lmdb::txn::begin(env.env.handle());
  MDB_dbi meta = 0;
  if (has_dbi(txn, "meta", &meta)) {
    if (stored_version(txn, meta) == kMigratableVersion && schema_version == 2) {
      // Version 1 → 2 in this one transaction: committed with the new version, or not at all.
      open_all(txn, env, MDB_CREATE);
      const StoreMigration done = migrate_store_v1_to_v2(txn, env);
      lmdb::val key(kMetaSchemaVersion);
      std::string version = std::to_string(schema_version);
      lmdb::val value(version);
      lmdb::dbi_put(txn, env.meta, key, value, 0);
      txn.commit();
      spdlog::info("state store '{}': migrated from schema version 1 to 2 ({} records re-encoded, {} left as they "
                   "were, {} keys in one index)",
                   env.dir.string(), done.records, done.undecodable, done.keys);
      return Ok{};
    }
    if (auto ok = check_version(txn, meta, env.dir, schema_version); !ok) return ok.error();
    open_all(txn, env, MDB_CREATE);
  } else {
    // A new store, unless the main database holds something else: then it is not ours.
    auto main = lmdb::dbi::open(txn, nullptr);
    if (main.size(txn) != 0) {
      return make_error(ErrorKind::corruption, "'" + env.dir.string() +
                                                   "' holds an LMDB environment that is not a watchstate store "
                                                   "(no schema version); refusing to write to it");
    }
    open_all(txn, env, MDB_CREATE);
    lmdb::val key(kMetaSchemaVersion);
    std::string version = std::to_string(schema_version);
    lmdb::val value(version);
    lmdb::dbi_put(txn, env.meta, key, value, 0);
  }
  txn.commit();
  return Ok{};
}

Result<Ok> setup_read_only(StoreEnv& env, int schema_version) {
  auto txn = lmdb::txn::begin(env.env.handle(), nullptr, MDB_RDONLY);
  MDB_dbi meta = 0;
  if (!has_dbi(txn, "meta", &meta)) {
    return make_error(ErrorKind::corruption,
                      "'" + env.dir.string() + "' is not a watchstate store (no schema version)");
  }
  if (auto ok = check_version(txn, meta, env.dir, schema_version); !ok) return ok.error();
  for (const char* name : {"state", "pointers", "outbox", "changes", "unmatched"}) {
    MDB_dbi dbi = 0;
    if (!has_dbi(txn, name, &dbi)) {
      return make_error(ErrorKind::corruption,
                        "state store '" + env.dir.string() + "' lacks its '" + name + "' database");
    }
  }
  open_all(txn, env, 0);
  txn.commit();  // keeps the database handles for the whole environment
  return Ok{};
}

}  // namespace

Result<std::shared_ptr<StoreEnv>> open_store_env(const std::filesystem::path& dir, bool writable, size_t map_size,
                                                 int schema_version) {
  std::lock_guard lock(registry_mutex());
  const std::string key = registry_key(dir);
  auto it = registry().find(key);
  if (it != registry().end() && it->second.pid == ::getpid()) {
    if (auto shared = it->second.env.lock()) {
      if (writable && !shared->writable) {
        return make_error(ErrorKind::unavailable, "state store '" + dir.string() +
                                                      "' is open read-only in this process; close it before "
                                                      "opening it for writing");
      }
      return shared;
    }
  }

  std::error_code ec;
  if (writable) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(ErrorKind::io, "cannot create the state folder '" + dir.string() + "': " + ec.message());
  } else if (!std::filesystem::exists(dir / "data.mdb", ec)) {
    return make_error(ErrorKind::not_found,
                      "no state store in '" + dir.string() + "' (nothing has been imported yet)");
  }

  auto env = std::make_shared<StoreEnv>();
  env->dir = dir;
  env->writable = writable;
  try {
    env->env = lmdb::env::create();
    env->env.set_max_dbs(kMaxDbs);
    env->env.set_mapsize(map_size);
    // NOTLS: read transactions are not tied to a thread, so a read may run while the same
    // thread holds a write batch, and readers of a shared environment may nest.
    unsigned flags = MDB_NOTLS | (writable ? 0u : unsigned(MDB_RDONLY));
    env->env.open(dir.c_str(), flags, 0600);
    env->max_key_size = lmdb::env_get_max_keysize(env->env.handle());
    if (writable) {
      // Reader slots left by killed readers (a CLI killed mid-listing) pin old pages and make
      // the file grow; clear them once at start-up.
      int dead = 0;
      ::mdb_reader_check(env->env.handle(), &dead);
    }
    auto ok = writable ? setup_writable(*env, schema_version) : setup_read_only(*env, schema_version);
    if (!ok) return ok.error();
  } catch (const lmdb::error& e) {
    return make_error(ErrorKind::io, "cannot open the state store '" + dir.string() + "': " + e.what());
  }
  registry()[key] = RegistryEntry{::getpid(), env};
  return env;
}

bool store_env_open_in_process(const std::filesystem::path& dir) {
  std::lock_guard lock(registry_mutex());
  auto it = registry().find(registry_key(dir));
  return it != registry().end() && it->second.pid == ::getpid() && !it->second.env.expired();
}

}  // namespace ws
