// Rewrites a sparse state store into a new, dense data file (issue 10: data.mdb's size).
//
// LMDB splits a full page in half unless the write is an append, so a store filled by imports
// (records that grow as each server reports them, match keys in no useful order) keeps its pages
// 50 – 60% full, and it never gives a page back to the file system. The compaction copies every
// database, in key order and by appends, into a new environment beside the live one
// (`<db>/compact.tmp/`), so its pages come out full, then renames the new data file over the live
// one — the swap state:restore uses (store_replacement.h). Every database's content is the same,
// key by key; only the pages change.
//
// When: only when the copy would be at least `min_gain` of the file and `min_bytes` smaller (an
// estimate from a walk over every entry: about 50 ms per 100 MB of store), and only while nothing
// else uses the store: none of this process's Stores is open, no writer holds the writer lock
// (taken for the whole compaction) and, at the swap, no other process has the environment open
// (waited for up to `reader_wait`; readers that come during the swap wait in LMDB's open until
// it is done, then read the new file). Anything else in the way is not an error: the store stays
// as it is and the result says why (`skipped`).
//
// Crash safety (DESIGN §4): until the rename the live file is untouched (a crash leaves
// `compact.tmp/`, removed by the next compaction or restore is harmless); the new file is on disk
// (fsync) before the rename, and the rename is atomic, so after a crash at any moment the store
// is the old file or the new one, each complete. LMDB's lock file is re-initialized by its next
// first opener, which a crash makes the next process to open it.
// Thread safety: one call at a time per folder (the writer lock refuses a second).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "ws/result.h"

namespace ws {

struct StoreCompactionOptions {
  std::filesystem::path dir;          // <data>/db
  size_t map_size = size_t(8) << 30;  // store.map_size, for the new environment
  double min_gain = 0.25;             // compact when the copy would be this fraction smaller
  uint64_t min_bytes = uint64_t(4) << 20;  // ... and at least this many bytes smaller
  std::chrono::milliseconds reader_wait{0};
  // The caller holds the folder's writer lock (Store::compact); otherwise it is taken here.
  bool writer_lock_held = false;
  // Tests: called at each step ("built": the new file is on disk; "renamed": it is the live
  // one) so a test can end the process there.
  std::function<void(std::string_view step)> on_step;
};

struct StoreCompaction {
  bool compacted = false;
  std::string skipped;           // why not, when not compacted
  uint64_t bytes_before = 0;     // data.mdb's size before
  uint64_t estimated_after = 0;  // the walk's estimate of the copy's size (0: not walked)
  uint64_t bytes_after = 0;      // data.mdb's size after (= before when not compacted)
  double seconds = 0;            // walk + copy + swap
};

// Compacts the store in `options.dir` when it is worth it and nothing is in the way (above).
// Errors (an I/O failure while copying or swapping) leave the live store as it was, or — past the
// rename — the new one in place; the message names the folder.
Result<StoreCompaction> compact_store_if_sparse(const StoreCompactionOptions& options);

}  // namespace ws
