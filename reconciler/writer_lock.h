// The store's writer lock (STYLE 9, nsq's dirlock): an exclusive flock on `<db>/writer.lock`, held
// for the writer's lifetime, with the holder's pid written inside so a refused writer can say who
// holds it. flock locks belong to an open file description, so a second open in the same process
// is refused exactly like one from another process. Internal to the store.
#pragma once

#include <filesystem>

#include "ws/result.h"

namespace ws {

class WriterLock {
 public:
  // Takes the lock without waiting, or says who holds it.
  static Result<WriterLock> acquire(const std::filesystem::path& dir);

  WriterLock(WriterLock&& other) noexcept;
  WriterLock& operator=(WriterLock&& other) noexcept;
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  ~WriterLock();  // releases the lock; the file stays (removing it would race a new writer)

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace ws
