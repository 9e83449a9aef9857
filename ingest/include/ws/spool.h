// Ingest's durable spool (DESIGN §4): accepted webhook events on disk until the reconciler acks
// them. Its own LMDB environment in `$WS_DATA_PATH/spool/` (never the state's), three named
// databases:
//   pending  be64(spool_id) -> SpoolRecord (MessagePack)   events not yet acked
//   failed   be64(spool_id) -> SpoolRecord                 events refused max_attempts times, kept
//   meta     "schema_version", "next_id" -> decimal text
// Spool ids grow for the life of the folder and are never reused.
//
// Group commit: append() hands the record to one committer thread, which writes whatever is
// waiting in one transaction (one fsync) and then releases every waiting append() with its id. So
// many HTTP threads each wait about one fsync, not one fsync per event before them. remove(),
// record_refusal() and move_to_failed() ride along in the next transaction and do not wait: if one
// is lost to a crash, the event is simply sent again (the reconciler dedupes by event id).
//
// Bounded: append() refuses (ErrorKind::unavailable) when pending + queued reaches max_events —
// the caller answers 503 and nothing accepted is ever dropped. A commit that fails (disk full, map
// full) refuses the appends it carried (ErrorKind::io) and marks the spool unwritable until a later
// commit succeeds (writable(), for /healthz).
//
// One process owns a spool folder (an exclusive flock on `ingest.lock`, with the holder's pid).
// Every method is thread-safe. read_spool_stats() reads a folder without owning it (db:stats).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ws/result.h"

namespace ws {

struct SpoolRecord {
  std::string server;        // the configured server the event speaks for
  int64_t received_at = 0;   // unix seconds the request arrived
  int64_t accepted_ms = 0;   // unix milliseconds of the 202 (apply latency is measured from it)
  nlohmann::json event;      // the normalized event, to_json(WebhookEvent)
  int attempts = 0;          // times the reconciler refused it
  std::string last_error;    // the last refusal's sentence

  std::string encode() const;  // MessagePack
  static Result<SpoolRecord> decode(std::string_view bytes);
};

struct SpoolEntry {
  uint64_t id = 0;
  SpoolRecord record;
  size_t bytes = 0;  // the stored record's size (about the size of its event.webhook body)
};

struct SpoolOptions {
  size_t max_events = 100000;
  size_t map_size = size_t(8) << 30;  // address space only: the file grows with the data
};

struct SpoolStats {
  uint64_t pending = 0;
  uint64_t failed = 0;
  int64_t oldest_pending_at = 0;  // received_at of the oldest pending event; 0 when none
  uint64_t file_bytes = 0;
};

struct SpoolEnv;

class Spool {
 public:
  // Creates the folder and the databases when absent. Refuses a folder another process holds
  // (naming its pid), a foreign LMDB environment or another schema version.
  static Result<std::unique_ptr<Spool>> open(const std::filesystem::path& dir, SpoolOptions options = {});
  // Commits what is queued, then stops the committer.
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Commits `record` durably and returns its spool id. Blocks about one commit.
  Result<uint64_t> append(SpoolRecord record);

  // Asynchronous, in the next commit: the event was acked (dropped from pending); refused again
  // (its attempts and error updated); or given up on (moved from pending to failed).
  void remove(uint64_t id);
  void record_refusal(uint64_t id, int attempts, std::string error);
  void move_to_failed(uint64_t id, int attempts, std::string error);
  // Waits until everything queued before the call is committed.
  void flush();

  // Pending events with id >= from_id, in id order, at most `max`.
  Result<std::vector<SpoolEntry>> pending(uint64_t from_id, size_t max) const;
  // One pending event; nullopt when it is not pending (acked or failed).
  Result<std::optional<SpoolEntry>> get(uint64_t id) const;
  // Failed events, oldest first, at most `max`.
  Result<std::vector<SpoolEntry>> failed(size_t max) const;

  size_t depth() const { return depth_.load(); }         // pending, committed
  size_t failed_count() const { return failed_.load(); }
  size_t max_events() const { return options_.max_events; }
  bool writable() const { return writable_.load(); }
  std::string last_write_error() const;
  const std::filesystem::path& dir() const { return dir_; }

  // Called on the committer thread after every commit that added events (the forwarder's
  // wake-up). Set before the first append.
  void set_commit_listener(std::function<void()> listener) { on_commit_ = std::move(listener); }

 private:
  enum class OpKind { append, remove, refusal, fail, barrier };
  struct Op {
    OpKind kind = OpKind::append;
    uint64_t id = 0;
    int attempts = 0;
    std::string bytes;  // append: the encoded record; refusal/fail: the error
    std::promise<Result<uint64_t>>* done = nullptr;  // append and barrier: the waiting caller
  };

  Spool(std::filesystem::path dir, SpoolOptions options, std::shared_ptr<SpoolEnv> env, int lock_fd);
  void enqueue(Op op);
  void commit_loop();
  // Applies `ops` in one transaction; returns false (and the reason) when the appends could not
  // be committed. The changes to the counts of what did commit come back in the deltas.
  bool apply(std::vector<Op>& ops, std::string& error, int64_t& depth_delta, int64_t& failed_delta);

  std::filesystem::path dir_;
  SpoolOptions options_;
  std::shared_ptr<SpoolEnv> env_;
  int lock_fd_ = -1;
  std::function<void()> on_commit_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Op> queue_;
  size_t queued_appends_ = 0;
  bool stopping_ = false;
  std::string write_error_;  // guarded by mu_

  uint64_t next_id_ = 1;  // committer thread only (after open)
  std::atomic<size_t> depth_{0};
  std::atomic<size_t> failed_{0};
  std::atomic<bool> writable_{true};
  std::thread committer_;
};

// Counts of a spool folder, read-only, without taking it from its owner. not_found when the
// folder holds no spool.
Result<SpoolStats> read_spool_stats(const std::filesystem::path& dir);

}  // namespace ws
