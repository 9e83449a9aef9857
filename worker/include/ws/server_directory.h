// servers.yaml as a worker (fetcher, exporter) sees it: jobs carry server *names* only
// (docs/protocol.md), so a worker reads urls and tokens from the same data folder. Loaded once;
// reloaded once when a job names a server the loaded file does not list (added since start-up).
// Thread-safe.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "ws/config.h"
#include "ws/result.h"

namespace ws {

class ServerDirectory {
 public:
  explicit ServerDirectory(std::filesystem::path file);

  // Reads the file now (a missing file is an empty list). Errors name the file and the key.
  Result<Ok> load();

  // The server's configuration. An unknown name reloads the file once; still unknown gives
  // not_found naming the server and the file.
  Result<ServerConfig> find(const std::string& name);

  // Tokens and keys of the loaded servers, for add_log_secrets().
  std::vector<std::string> secrets() const;

 private:
  std::filesystem::path file_;
  mutable std::mutex mu_;
  ServersFile servers_;
  bool loaded_ = false;
};

// True when two configurations of one server need no new client (same type, url, token, user,
// timeouts, TLS check and ignored libraries).
bool same_connection(const ServerConfig& a, const ServerConfig& b);

}  // namespace ws
