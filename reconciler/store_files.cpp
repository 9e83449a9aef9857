#include "store_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

namespace ws {
namespace {

constexpr auto kReaderPoll = std::chrono::milliseconds(50);

// LMDB's lock file protocol: every process that has the environment open holds a shared fcntl
// lock on byte 0 of lock.mdb, and the first to open it (the one that gets it exclusively)
// initializes the file from the data file. Holding it exclusively therefore means no process has
// the environment open, and none can open it until the lock is dropped.
struct flock byte_zero(short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 1;
  return lock;
}

}  // namespace

Result<int> lock_out_readers(const std::filesystem::path& dir, std::chrono::milliseconds wait) {
  const auto file = dir / "lock.mdb";
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(ErrorKind::io, "cannot open '" + file.string() + "': " + std::strerror(errno));
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    auto exclusive = byte_zero(F_WRLCK);
    if (::fcntl(fd, F_SETLK, &exclusive) == 0) return fd;
    if (errno != EACCES && errno != EAGAIN && errno != EINTR) {
      int err = errno;
      ::close(fd);
      return make_error(ErrorKind::io, "cannot lock '" + file.string() + "': " + std::strerror(err));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      auto holder = byte_zero(F_WRLCK);
      std::string pid = ::fcntl(fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK
                            ? std::to_string(holder.l_pid)
                            : std::string("unknown");
      ::close(fd);
      return make_error(ErrorKind::unavailable, "the state in '" + dir.string() + "' is open in another process (pid " +
                                                    pid + ", a command reading it); try again when it has finished");
    }
    std::this_thread::sleep_for(kReaderPoll);
  }
}

Result<Ok> sync_folder(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    return make_error(ErrorKind::io, "cannot sync the folder '" + dir.string() + "': " + std::strerror(err));
  }
  ::close(fd);
  return Ok{};
}

}  // namespace ws
