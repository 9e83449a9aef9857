// The insides of Store and WriteBatch, shared by store.cpp and write_batch.cpp. Internal.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "store_env.h"
#include "writer_lock.h"
#include "ws/store.h"

namespace ws {

struct Store::Impl {
  Options options;
  std::optional<WriterLock> lock;  // declared before env: released last, after LMDB closes
  std::shared_ptr<StoreEnv> env;
  // Set by a failed commit: the store refuses every later write (STYLE 7).
  std::optional<Error> poisoned;
  bool batch_open = false;  // LMDB allows one write transaction; a second would deadlock
};

struct WriteBatch::Impl {
  Store::Impl* store = nullptr;
  MDB_txn* txn = nullptr;  // raw: a failed mdb_txn_commit frees it, which lmdb::txn cannot express
  bool holds_slot = false;  // this batch is the store's one open batch
  // The first failure; every later operation is skipped and commit() returns it.
  std::optional<Error> error;
  // Whether a failure here poisons the store (a failed write), or only this batch (misuse).
  bool poison_on_failure = true;
  bool done = false;
  std::optional<uint64_t> next_id;  // cached from meta, written back at commit
  uint64_t new_conflicts = 0;
  // What the last find_for() decoded, for complete_found(): its stored bytes (valid until the
  // transaction writes) and where its metadata sits in them.
  std::string_view found_bytes;
  size_t found_metadata_at = std::string_view::npos;
};

}  // namespace ws
