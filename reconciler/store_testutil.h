// Helpers of the store tests: a temporary folder, records, and running code in a forked child.
#pragma once

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "ws/store.h"

namespace ws::testutil {

// A fresh folder under the system temp folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ws-store-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path db() const { return path_ / "db"; }

 private:
  std::filesystem::path path_;
};

inline Store::Options writer_options(const std::filesystem::path& dir) {
  Store::Options options;
  options.dir = dir;
  return options;
}

inline Store::Options reader_options(const std::filesystem::path& dir) {
  Store::Options options;
  options.dir = dir;
  options.read_only = true;
  return options;
}

inline std::unique_ptr<Store> open_writer(const std::filesystem::path& dir) {
  auto store = Store::open(writer_options(dir));
  if (!store) throw std::runtime_error("open failed: " + store.error().message);
  return std::move(store).value();
}

// Puts one record in a batch of its own; returns its id. Throws when the commit fails.
inline uint64_t put_one(Store& store, Record& record) {
  auto batch = store.begin_write();
  uint64_t id = batch.put(record);
  if (auto committed = batch.commit(); !committed) throw std::runtime_error("commit failed: " + committed.error().message);
  return id;
}

inline Record movie(const std::string& imdb, const std::string& server = "", const std::string& item_id = "") {
  Record record;
  record.type = MediaType::movie;
  record.title = "Movie " + imdb;
  record.year = 1994;
  if (!imdb.empty()) record.guids["imdb"] = imdb;
  if (!server.empty()) record.metadata[server].item_id = item_id;
  return record;
}

inline Record episode(const std::string& series_tvdb, int season, int number) {
  Record record;
  record.type = MediaType::episode;
  record.title = "Series " + series_tvdb;
  record.season = season;
  record.episode = number;
  record.parent["tvdb"] = series_tvdb;
  return record;
}

inline MediaItem item_from(const std::string& server, const std::string& item_id, MediaType type) {
  MediaItem item;
  item.server = server;
  item.item_id = item_id;
  item.type = type;
  return item;
}

// Runs `body` in a forked child and returns its result (its exit code), or -1 if it crashed or
// did not finish within the deadline. The child leaves by _exit: it runs no destructor of the
// parent's objects (LMDB forbids touching an environment inherited across fork).
inline int run_in_child(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int rc = 99;
    try {
      rc = body();
    } catch (...) {
      rc = 98;
    }
    ::_exit(rc);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 || std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling the child's exit
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A forked child that opens the store (for writing or reading) and holds it until released.
class HolderProcess {
 public:
  HolderProcess(const std::filesystem::path& db, bool writer) {
    int ready[2], release[2];
    if (::pipe(ready) != 0 || ::pipe(release) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(release[1]);
      auto store = Store::open(writer ? writer_options(db) : reader_options(db));
      char c = store.ok() ? 'y' : 'n';
      if (::write(ready[1], &c, 1) != 1) ::_exit(2);
      (void)::read(release[0], &c, 1);  // until the parent writes or dies
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(release[0]);
    release_ = release[1];
    pollfd p{ready[0], POLLIN, 0};
    char c = 'n';
    opened_ = ::poll(&p, 1, 10000) == 1 && ::read(ready[0], &c, 1) == 1 && c == 'y';
    ::close(ready[0]);
  }
  ~HolderProcess() { release(); }
  bool opened() const { return opened_; }
  pid_t pid() const { return pid_; }
  void release() {
    if (pid_ <= 0) return;
    ::close(release_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int release_ = -1;
  bool opened_ = false;
};

}  // namespace ws::testutil
