#include "store_migration.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "store_ops.h"
#include "ws/record.h"

namespace ws {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// Empties `dbi` and writes `entries` (sorted by key, no key twice) back in order, appending.
void rewrite(MDB_txn* txn, MDB_dbi dbi, Entries& entries) {
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  entries.erase(std::unique(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
                entries.end());
  lmdb::dbi_drop(txn, dbi, false);
  for (auto& [key, value] : entries) {
    lmdb::val k(key), v(value);
    lmdb::dbi_put(txn, dbi, k, v, MDB_APPEND);
  }
}

}  // namespace

StoreMigration migrate_store_v1_to_v2(MDB_txn* txn, const StoreEnv& env) {
  StoreMigration done;
  Entries entries;
  {
    auto cursor = lmdb::cursor::open(txn, env.state);
    lmdb::val key, value;
    for (bool more = cursor.get(key, value, MDB_FIRST); more; more = cursor.get(key, value, MDB_NEXT)) {
      std::string bytes(value.data(), value.size());
      try {
        bytes = encode_record(decode_record(bytes));
        ++done.records;
      } catch (const std::exception& e) {
        ++done.undecodable;
        spdlog::warn("state store '{}': a record cannot be decoded and is left as it was: {}", env.dir.string(),
                     e.what());
      }
      entries.emplace_back(std::string(key.data(), key.size()), std::move(bytes));
    }
  }
  rewrite(txn, env.state, entries);

  entries.clear();
  auto carry = [&](MDB_dbi dbi, bool backend) {
    auto cursor = lmdb::cursor::open(txn, dbi);
    lmdb::val key, value;
    for (bool more = cursor.get(key, value, MDB_FIRST); more; more = cursor.get(key, value, MDB_NEXT)) {
      if (value.size() != 8) continue;  // never written so; version 1 ignored it too
      const std::string_view text(key.data(), key.size());
      entries.emplace_back(backend ? store_ops::backend_disk_key(text) : store_ops::match_disk_key(text),
                           store_ops::pointer_value(store_ops::from_be64({value.data(), value.size()})));
    }
  };
  carry(env.pointers, false);
  MDB_dbi backend_ids = 0;
  if (::mdb_dbi_open(txn, "backend_ids", 0, &backend_ids) == MDB_SUCCESS) {
    carry(backend_ids, true);
    lmdb::dbi_drop(txn, backend_ids, true);  // deleted from the environment
  }
  done.keys = entries.size();
  rewrite(txn, env.pointers, entries);
  return done;
}

}  // namespace ws
