// Files that may hold secrets are created 0600 from the start (never chmod-ed after the fact, so
// there is no moment where another user could read them) and replaced atomically: a crash leaves
// the old file or the new one, never half of it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ws/config.h"

namespace ws {
namespace {

Error io_error(const std::filesystem::path& file, const std::string& what) {
  return make_error(ErrorKind::io, file.string() + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

DataPaths DataPaths::from_environment() {
  const char* env = std::getenv("WS_DATA_PATH");
  return DataPaths{(env && *env) ? std::filesystem::path(env) : std::filesystem::path("./var")};
}

Result<Ok> write_private_file(const std::filesystem::path& file, std::string_view text, bool overwrite) {
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(file, ec)) {
    return make_error(ErrorKind::invalid_input, file.string() + ": already exists, not overwritten");
  }
  if (file.has_parent_path()) {
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) return make_error(ErrorKind::io, file.parent_path().string() + ": cannot create folder: " + ec.message());
  }
  const std::filesystem::path tmp = file.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(tmp, "cannot create");
  // An existing temp file from a crashed run keeps its old mode under O_TRUNC; make sure.
  ::fchmod(fd, 0600);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = io_error(tmp, "cannot write");
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Error e = io_error(tmp, "cannot flush");
    ::unlink(tmp.c_str());
    return e;
  }
  if (overwrite) {
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
      Error e = io_error(file, "cannot replace");
      ::unlink(tmp.c_str());
      return e;
    }
    return Ok{};
  }
  // link() fails when the target exists, so two racing writers cannot both "create" the file.
  if (::link(tmp.c_str(), file.c_str()) != 0) {
    const bool exists = errno == EEXIST;
    Error e = exists ? make_error(ErrorKind::invalid_input, file.string() + ": already exists, not overwritten")
                     : io_error(file, "cannot create");
    ::unlink(tmp.c_str());
    return e;
  }
  ::unlink(tmp.c_str());
  return Ok{};
}

std::optional<ConfigWarning> exposed_file_warning(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::nullopt;
  if ((st.st_mode & (S_IRGRP | S_IROTH)) == 0) return std::nullopt;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return ConfigWarning{file.string() + " is readable by group or others (mode " + mode +
                       ") and holds secrets: run chmod 600 " + file.string()};
}

}  // namespace ws
