// What replacing a store's data file needs, shared by the restore (store_replacement.cpp) and the
// compaction (store_compaction.cpp). Internal to the store.
#pragma once

#include <chrono>
#include <filesystem>

#include "ws/result.h"

namespace ws {

// Waits (up to `wait`, polling) until no other process has the environment in `dir` open, then
// keeps it so: returns the lock file's descriptor, whose exclusive lock on LMDB's byte 0 lives as
// long as this process keeps it open (and has no other descriptor of lock.mdb closed: fcntl locks
// belong to the process). Past `wait`: ErrorKind::unavailable naming the holder's pid.
Result<int> lock_out_readers(const std::filesystem::path& dir, std::chrono::milliseconds wait);

// fsync() of a folder, so a rename in it is durable.
Result<Ok> sync_folder(const std::filesystem::path& dir);

}  // namespace ws
