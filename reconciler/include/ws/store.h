// The LMDB state (DESIGN §5): one environment in `<data>/db/` with the named databases `state`
// (id -> record), `pointers` (match key or `<server>/<item id>` backend key -> id: one index),
// `meta` (schema version, next id, lastSync values), `outbox` (pending export jobs), `changes`
// (updated_at-ordered ids for push mode), `unmatched` and `webhook_events`.
//
// Ownership: exactly one process opens the store for writing; it holds an exclusive lock on
// `<db>/writer.lock` for its lifetime, and a second writer is refused with a message naming the
// folder. Read-only opens (the CLI's state:list while a reconciler runs) take no lock and see
// every commit made before each of their calls. Stores of one folder in one process share one
// LMDB environment (LMDB forbids opening it twice in a process); a forked child opens its own.
// Thread safety: a Store and its transactions belong to one thread; two Stores of one folder may
// live on two threads (embedded mode: the reconciler writes, the CLI reads).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ws/media_item.h"
#include "ws/record.h"
#include "ws/result.h"
#include "ws/store_compaction.h"

namespace ws {

// Bumped when the on-disk layout changes. A writer migrates a store of version 1 (layout-1
// records, a separate `backend_ids` database, match keys as text) at open, in one transaction; a
// reader refuses it, and any other version, with a message naming the folder.
inline constexpr int kStoreSchemaVersion = 2;

// The largest record id: the next id (largest + 1) is kept as a signed 64-bit number in `meta`,
// so an id past this would wrap the counter and let new records overwrite old ones.
inline constexpr uint64_t kMaxRecordId = uint64_t(INT64_MAX) - 1;

// import: the start of the last successful import of either kind (full or delta);
// full_import: of the last successful full import (DESIGN §5 "Incremental import");
// delta_import: of the last successful delta, 0 once a full import followed it — which kind ran
// last cannot be told from the two start times alone: both runs may start in the same second.
enum class SyncDirection { import, full_import, delta_import, export_ };
std::string_view to_string(SyncDirection direction);  // "import" / "full_import" / "delta_import" / "export"

struct LastSync {
  int64_t import = 0;  // unix seconds; 0 = never
  int64_t full_import = 0;
  int64_t delta_import = 0;
  int64_t export_ = 0;
};

// Writes of the state one server answered as done but did not keep (ServerMeta::ignored_writes).
struct IgnoredWrites {
  uint64_t items = 0;     // records whose last write there was ignored, the server unchanged since
  uint64_t given_up = 0;  // of those, ones no longer planned (export.max_ignored reached)
};

struct StoreStats {
  uint64_t records = 0;
  uint64_t movies = 0;
  uint64_t episodes = 0;
  uint64_t watched = 0;
  uint64_t pointers = 0;     // match keys (guid and relative) in `pointers`
  uint64_t backend_ids = 0;  // `<server>/<item id>` keys in `pointers`
  uint64_t outbox = 0;
  // Match keys a record could not claim because another record owned them (first come keeps
  // a key); counted once per record and key. Many of them mean two items share an external id.
  uint64_t pointer_conflicts = 0;
  std::map<std::string, uint64_t> per_server;  // records that carry metadata of that server
  std::map<std::string, LastSync> last_sync;   // per server with a stored lastSync
  std::map<std::string, IgnoredWrites> ignored_writes;  // per server that ignored any
  uint64_t file_bytes = 0;                     // size of data.mdb on disk
  uint64_t map_bytes = 0;                      // address space reserved (the file's ceiling)
  int schema_version = 0;
};

class Store;

// What export planning reads (export_plan.h): the records as one view sees them. A Store answers
// from what is committed (each call its own read transaction); an open WriteBatch answers with
// its own uncommitted writes included, so a dry run can plan over what it applied and then
// abort (the plan is the one the real run would make).
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Every record in id order; stop early by returning false.
  virtual void for_each(const std::function<bool(const Record&)>& visit) const = 0;
  // Records whose updated_at is newer than `since`, in updated_at order (push mode).
  virtual void for_each_changed_since(int64_t since, const std::function<bool(const Record&)>& visit) const = 0;
  // The records of one item of a server, found by its backend keys: the one `<server>/<item id>`
  // names, and for a multi-episode file every part (`<server>/<item id>/E<n>`), in episode order.
  virtual std::vector<Record> records_of_item(const std::string& server, const std::string& item_id) const = 0;
};

// One write transaction: many puts, one commit (DESIGN §4: a batch per transaction). Not
// committed = aborted when destroyed. After a failed commit the store refuses further writes.
// Expected failures (the map is full, the disk fails, the store refuses writes) do not throw:
// the batch remembers the first one, skips every later operation, and commit() returns it.
// REQUIRES: the Store outlives the batch; one batch per Store at a time (a second one fails).
class WriteBatch : public RecordSource {
 public:
  ~WriteBatch() override;
  WriteBatch(WriteBatch&&) noexcept;
  WriteBatch& operator=(WriteBatch&&) noexcept;

  // Stored record matching the item, resolved in order: own server id, relative keys, guid keys.
  // Sees the batch's own uncommitted writes.
  std::optional<Record> find(const MediaItem& item);
  // find() decoding of `metadata` only `server`'s entry: what an import's unchanged fast path
  // (import_changes_nothing) reads, without the other servers' entries. complete_found() then
  // adds those, making it what find() returns; REQUIRES: nothing written in between.
  std::optional<Record> find_for(const MediaItem& item, const std::string& server);
  void complete_found(Record& record);
  std::optional<Record> get(uint64_t id);
  // Inserts (id == 0: assigns the next id, and sets created_at to now if it is 0) or replaces a
  // record (an unknown id is inserted under that id, e.g. by a restore); updates its pointers,
  // backend ids and the changes index, and drops the keys its previous version had and it has
  // not. A match key or backend id already owned by another record stays with that record
  // (counted in StoreStats::pointer_conflicts). An id above kMaxRecordId fails the batch as
  // invalid input (the store still accepts later batches). Returns the record's id; 0 if the
  // batch failed.
  uint64_t put(Record& record);
  // The same, given what find()/get() of this batch returned for the record (no write to the
  // record in between): its previous version is not read and decoded again. A `stored` of
  // another id (or none for a record with an id) is ignored: put(record) then.
  uint64_t put(Record& record, const std::optional<Record>& stored);
  // Rule 8: forgets what `server` told us about the item behind `key`, one of that server's
  // backend keys (`<server>/<item id>`, or `<server>/<item id>/E<n>` for a part of a
  // multi-episode file): the record's metadata of that server goes, and with it the key. The
  // record stays, with its state and updated_at (the user's history; nothing to export), even
  // when no server is left in it. Returns the record's id; 0 when `key` names no record whose
  // `server` metadata has that key (nothing is written then).
  uint64_t drop_server_key(const std::string& server, const std::string& key);
  void set_last_sync(const std::string& server, SyncDirection direction, int64_t unix_seconds);
  // Outbox of export jobs: key -> encoded job (the job format belongs to the reconciler).
  void outbox_put(const std::string& key, std::string_view value);
  void outbox_erase(const std::string& key);
  // Items a server reported that matched nothing and carry no external id (state:unmatched).
  // An import clears its server's list first and reports them anew.
  void unmatched_put(const std::string& server, const std::string& item_id, const std::string& reason,
                     const MediaItem& item);
  void unmatched_clear(const std::string& server);
  // Rule 8: the server no longer has this item (an export found it gone, or a full import did
  // not list it). Removes that server's metadata, and so its `<server>/<item id>[/E<n>]` keys,
  // from every record of the item (every part of a multi-episode file); their state stays.
  // Returns how many records lost it.
  uint64_t drop_server_item(const std::string& server, const std::string& item_id);
  // The export guard's memory (export_guard.h): `count` unmarks written to `server` at `at`;
  // entries from before `forget_before` are dropped on the way.
  void add_unmarks_written(const std::string& server, int64_t at, uint64_t count, int64_t forget_before);
  // Webhook events applied (docs/protocol.md "Events": a repeat is acked without applying it
  // again). Sees the batch's own writes.
  bool webhook_event_applied(const std::string& event_id);
  void webhook_event_put(const std::string& event_id, int64_t applied_at);
  // Forgets at most `max` events applied before `before`, oldest first; returns how many.
  uint64_t webhook_events_forget(int64_t before, uint64_t max);

  // RecordSource over this batch's transaction (its own writes included). After a failure they
  // visit nothing.
  void for_each(const std::function<bool(const Record&)>& visit) const override;
  void for_each_changed_since(int64_t since, const std::function<bool(const Record&)>& visit) const override;
  std::vector<Record> records_of_item(const std::string& server, const std::string& item_id) const override;

  // Makes every write of the batch durable at once, or none of them.
  Result<Ok> commit();
  // The first failure so far, if any.
  const Error* error() const;

  struct Impl;  // internal to the store (reconciler/store_impl.h)

 private:
  friend class Store;
  explicit WriteBatch(std::unique_ptr<Impl> impl);
  uint64_t put_impl(Record& record, const Record* previous, bool previous_known);
  std::unique_ptr<Impl> impl_;
};

class Store : public RecordSource {
 public:
  struct Options {
    std::filesystem::path dir;             // <data>/db
    bool read_only = false;
    // Address space reserved; the file grows as needed up to it. When it is used up a commit
    // fails with a message saying so (and the store then refuses writes until reopen()).
    // Writers take it from config.yaml's store.map_size. LMDB never maps less than the data
    // already written: a smaller value acts as the file's size.
    size_t map_size = size_t(8) << 30;
  };

  // Creates the folder and databases when absent (not when read_only). Refuses: a schema version
  // other than kStoreSchemaVersion, a second writer, a missing store opened read-only.
  static Result<std::unique_ptr<Store>> open(const Options& options);
  ~Store() override;

  WriteBatch begin_write();  // REQUIRES: not read_only

  // The failed commit (full map, full disk) that makes this store refuse writes; null while it
  // accepts them.
  const Error* failure() const;
  // Re-opens the environment with `map_size` and accepts writes again; the writer lock is kept
  // throughout. For recovery after failure(): once there is room (a larger map, freed disk),
  // writes go through without a restart. Reads keep working when the re-open fails: the store
  // then goes on refusing writes, and the error says why.
  // REQUIRES: opened for writing; no write batch open; no read of this store on another thread.
  Result<Ok> reopen(size_t map_size);
  // Compacts the state in place of a reconciler that keeps running (store_compaction.h: when a
  // dense copy would be much smaller and no other process has it open): closes the environment,
  // lets compact_store_if_sparse swap the file (the writer lock is kept throughout), and opens it
  // again. Skipped (Ok, with the reason) while this process shares the environment (a reader
  // Store of the same folder) or the store refuses writes. When the re-open fails the store
  // answers nothing and refuses writes until reopen() succeeds; the error says why.
  // REQUIRES: opened for writing; no write batch open; no read of this store on another thread.
  Result<StoreCompaction> compact(const StoreCompactionOptions& options);

  // Read-only look-ups, each in its own read transaction.
  std::optional<Record> get(uint64_t id) const;
  std::optional<Record> find(const MediaItem& item) const;
  // By an external id as `state:show` takes it (source, value); movies and episodes.
  std::vector<Record> find_by_guid(const std::string& source, const std::string& value) const;
  // RecordSource, each call in its own read transaction.
  void for_each(const std::function<bool(const Record&)>& visit) const override;
  void for_each_changed_since(int64_t since, const std::function<bool(const Record&)>& visit) const override;
  std::vector<Record> records_of_item(const std::string& server, const std::string& item_id) const override;
  // Unmarks written to `server` at or after `since` (WriteBatch::add_unmarks_written).
  uint64_t unmarks_written(const std::string& server, int64_t since) const;
  // Whether a webhook event with this id was applied (WriteBatch::webhook_event_put), and not
  // forgotten since.
  bool webhook_event_applied(const std::string& event_id) const;
  // The backend keys that start with `<server>/` and the record each points to, in the order of
  // their stored form (store_ops.h; not text order), in one read transaction; stop early by
  // returning false. `key` is valid during the call only. Keys only, no record is decoded. (Server
  // names may hold a '/': "a" also sees the keys of a server "a/b"; callers that act on a key
  // check it against the record, see backend_key(const Record&, server).)
  void for_each_backend_key(const std::string& server,
                            const std::function<bool(std::string_view key, uint64_t id)>& visit) const;
  int64_t last_sync(const std::string& server, SyncDirection direction) const;
  // Which kind the server's last successful import was: "full", "delta", or "" (never imported).
  std::string_view last_import_kind(const std::string& server) const;
  std::vector<std::pair<std::string, std::string>> outbox() const;
  // Unmatched items of `server` (every server when empty), in server and item id order.
  void for_each_unmatched(const std::string& server,
                          const std::function<bool(const std::string& server, const std::string& reason,
                                                   const MediaItem& item)>& visit) const;
  // `max_ignored` is export.max_ignored: when an item's ignored writes count as given up.
  StoreStats stats(int max_ignored = 3) const;
  const std::filesystem::path& dir() const;
  // Lets go of the pages of data.mdb this process has mapped (madvise MADV_DONTNEED): they stay
  // in the page cache, and the next read maps them again. A whole scan (an import, an export's
  // plan) maps the whole file: this keeps them out of the process's resident memory once it is
  // done. Safe with reads and writes in flight on any thread (LMDB maps the file shared).
  void release_mapped_pages() const;

  struct Impl;  // internal to the store (reconciler/store_impl.h)

 private:
  friend class StoreReplacement;  // builds a store with unsynced commits, then syncs it once
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws
