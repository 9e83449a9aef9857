// Replaces the whole state of a store folder at once (state:restore). The records go into a new
// environment built beside the live one (`<db>/restore.tmp/`), in transactions of bounded size
// (memory stays flat however many records come); commit() then renames the new data file over
// the live one. Until commit() the live state is untouched, and a replacement dropped before it
// (a refused record, a truncated file, a crash) leaves the live state exactly as it was.
//
// What the new state holds: the records, their match keys, and a next-id counter past the largest
// id. What it drops: the outbox, every lastSync and the unmatched lists — they describe the old
// state, so the next import and export of every server run in full.
//
// Ownership: the replacement holds the folder's writer lock from begin() to its end, so a running
// reconciler (or `watchstate serve`, or an embedded import) refuses it at begin(), naming the
// holder's pid. The swap waits (up to Options::reader_wait) until no other process has the live
// environment open, and keeps new readers out while it swaps, so a reader never mixes the old
// lock file with the new data. Needs room for a second copy of the state until commit().
// Thread safety: one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "ws/record.h"
#include "ws/result.h"
#include "ws/store.h"

namespace ws {

class WriterLock;

class StoreReplacement {
 public:
  struct Options {
    std::filesystem::path dir;  // <data>/db: the live store (it may not exist yet)
    size_t map_size = size_t(8) << 30;  // store.map_size, for the new environment
    // Records per transaction of the new environment: LMDB keeps a transaction's dirty pages in
    // the heap, so this bounds the memory a replacement needs.
    size_t records_per_transaction = 1000;
    std::chrono::milliseconds reader_wait{10000};
  };

  // Takes the writer lock and starts an empty environment beside the live one (a leftover of an
  // interrupted replacement is removed first).
  static Result<StoreReplacement> begin(const Options& options);
  StoreReplacement(StoreReplacement&&) noexcept;
  StoreReplacement& operator=(StoreReplacement&&) noexcept;
  ~StoreReplacement();  // not committed: the new environment is removed, the live one untouched

  // Adds one record under its own id. Refuses an id of 0, above kMaxRecordId, or already added;
  // the message names the id and says why. The first failure ends the replacement: every later
  // call returns it, and commit() too.
  Result<Ok> add(Record record);
  uint64_t added() const;

  // Makes the new state the live one: one rename, durable when this returns; then releases the
  // writer lock. Returns the number of records.
  Result<uint64_t> commit();

  struct Impl;

 private:
  explicit StoreReplacement(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws
