#include "ws/store_replacement.h"

#include <unistd.h>

#include <string>
#include <utility>

#include "store_env.h"
#include "store_files.h"
#include "store_impl.h"
#include "writer_lock.h"

namespace ws {
namespace {

constexpr const char* kBuildFolder = "restore.tmp";

}  // namespace

struct StoreReplacement::Impl {
  Options options;
  std::optional<WriterLock> lock;
  std::filesystem::path build_dir;
  std::unique_ptr<Store> building;
  std::optional<WriteBatch> batch;
  size_t in_batch = 0;
  uint64_t added = 0;
  std::optional<Error> error;
  bool committed = false;

  ~Impl() {
    batch.reset();
    building.reset();
    std::error_code ec;
    if (!build_dir.empty()) std::filesystem::remove_all(build_dir, ec);
    lock.reset();  // last: nobody may write the folder while the leftovers go
  }

  Error fail(Error e) {
    if (!error) error = std::move(e);
    return *error;
  }

  Result<Ok> commit_batch() {
    if (!batch) return Ok{};
    auto committed_batch = batch->commit();
    batch.reset();
    in_batch = 0;
    if (!committed_batch) return fail(committed_batch.error());
    return Ok{};
  }

  // Renames the new data file over the live one while no process has the live one open, then
  // opens it once here so the lock file is initialized from the new data before anyone reads.
  Result<Ok> swap_in() {
    const auto& dir = options.dir;
    auto readers_out = lock_out_readers(dir, options.reader_wait);
    if (!readers_out) return readers_out.error();
    const int lock_fd = readers_out.value();
    std::error_code ec;
    std::filesystem::rename(build_dir / "data.mdb", dir / "data.mdb", ec);
    if (ec) {
      ::close(lock_fd);
      return make_error(ErrorKind::io, "cannot move the new state into '" + dir.string() + "': " + ec.message());
    }
    auto synced = sync_folder(dir);
    // LMDB in this process takes the lock file as its first opener (the fcntl lock is this
    // process's) and initializes it from the new data file. Closing the environment, then our
    // descriptor, drops every lock: readers come in to a lock file that matches the data.
    Result<Ok> opened = Ok{};
    if (auto reopened = open_store_env(dir, true, options.map_size, kStoreSchemaVersion); !reopened) {
      opened = make_error(reopened.error().kind, "the restored state is in place in '" + dir.string() +
                                                     "' but cannot be opened: " + reopened.error().message);
    }
    ::close(lock_fd);
    if (!opened) return opened.error();
    if (!synced) return synced.error();
    return Ok{};
  }
};

StoreReplacement::StoreReplacement(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StoreReplacement::StoreReplacement(StoreReplacement&&) noexcept = default;
StoreReplacement& StoreReplacement::operator=(StoreReplacement&&) noexcept = default;
StoreReplacement::~StoreReplacement() = default;

Result<StoreReplacement> StoreReplacement::begin(const Options& options) {
  if (options.dir.empty()) return make_error(ErrorKind::invalid_input, "the state store folder is not set");
  const std::string dir = options.dir.string();
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return make_error(ErrorKind::io, "cannot create the state folder '" + dir + "': " + ec.message());
  if (store_env_open_in_process(options.dir)) {
    return make_error(ErrorKind::unavailable,
                      "state store '" + dir + "' is open in this process; close it before replacing the state");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto lock = WriterLock::acquire(options.dir);
  if (!lock) return lock.error();
  impl->lock.emplace(std::move(lock).value());

  impl->build_dir = options.dir / kBuildFolder;
  std::filesystem::remove_all(impl->build_dir, ec);  // an interrupted replacement's leftovers
  if (ec) return make_error(ErrorKind::io, "cannot remove '" + impl->build_dir.string() + "': " + ec.message());
  Store::Options build;
  build.dir = impl->build_dir;
  build.map_size = options.map_size;
  auto building = Store::open(build);
  if (!building) return building.error();
  impl->building = std::move(building).value();
  // Nothing reads the new environment before it is complete: its commits need not reach the
  // disk one by one. commit() syncs it once, before the rename.
  if (int rc = ::mdb_env_set_flags(impl->building->impl_->env->env.handle(), MDB_NOSYNC, 1); rc != MDB_SUCCESS) {
    return make_error(ErrorKind::io, "cannot set up '" + impl->build_dir.string() + "': " + ::mdb_strerror(rc));
  }
  impl->batch.emplace(impl->building->begin_write());
  if (const Error* failed = impl->batch->error()) return *failed;
  return StoreReplacement(std::move(impl));
}

Result<Ok> StoreReplacement::add(Record record) {
  auto& r = *impl_;
  if (r.error) return *r.error;
  if (r.committed) return make_error(ErrorKind::invalid_input, "this replacement is already committed");
  if (record.id == 0 || record.id > kMaxRecordId) {
    return r.fail(make_error(ErrorKind::invalid_input, "id " + std::to_string(record.id) + " is out of range 1.." +
                                                           std::to_string(kMaxRecordId)));
  }
  if (!r.batch) r.batch.emplace(r.building->begin_write());
  if (r.batch->get(record.id)) {
    return r.fail(make_error(ErrorKind::invalid_input, "id " + std::to_string(record.id) + " appears twice"));
  }
  r.batch->put(record);
  if (const Error* failed = r.batch->error()) return r.fail(*failed);
  ++r.added;
  if (++r.in_batch >= r.options.records_per_transaction) return r.commit_batch();
  return Ok{};
}

uint64_t StoreReplacement::added() const { return impl_->added; }

Result<uint64_t> StoreReplacement::commit() {
  auto& r = *impl_;
  if (r.error) return *r.error;
  if (r.committed) return make_error(ErrorKind::invalid_input, "this replacement is already committed");
  if (auto last = r.commit_batch(); !last) return last.error();
  if (int rc = ::mdb_env_sync(r.building->impl_->env->env.handle(), 1); rc != MDB_SUCCESS) {
    return r.fail(make_error(ErrorKind::io, "cannot write the new state in '" + r.build_dir.string() +
                                                "' to disk: " + ::mdb_strerror(rc)));
  }
  r.building.reset();  // closes the new environment: its file is complete and on disk
  if (auto swapped = r.swap_in(); !swapped) return r.fail(swapped.error());
  r.committed = true;
  std::error_code ec;
  std::filesystem::remove_all(r.build_dir, ec);  // what is left of it: its lock files
  r.lock.reset();  // done: the state is anyone's again
  return r.added;
}

}  // namespace ws
