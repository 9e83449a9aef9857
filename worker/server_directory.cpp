#include "ws/server_directory.h"

#include "ws/logging.h"

namespace ws {

ServerDirectory::ServerDirectory(std::filesystem::path file) : file_(std::move(file)) {}

Result<Ok> ServerDirectory::load() {
  auto servers = load_servers(file_);
  if (!servers) return servers.error();
  // Once per process: the file is reloaded, and in embedded mode loaded by several threads.
  for (const auto& warning : servers->warnings) warn_once(warning.message);
  std::lock_guard<std::mutex> lock(mu_);
  servers_ = std::move(servers.value());
  loaded_ = true;
  return Ok{};
}

Result<ServerConfig> ServerDirectory::find(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (loaded_) {
      if (const ServerConfig* server = servers_.find(name)) return *server;
    }
  }
  if (auto loaded = load(); !loaded) return loaded.error();
  std::lock_guard<std::mutex> lock(mu_);
  if (const ServerConfig* server = servers_.find(name)) return *server;
  return make_error(ErrorKind::not_found, "server '" + name + "' is not in " + file_.string());
}

std::vector<std::string> ServerDirectory::secrets() const {
  std::lock_guard<std::mutex> lock(mu_);
  return secrets_of(servers_);
}

bool same_connection(const ServerConfig& a, const ServerConfig& b) {
  return a.type == b.type && a.url == b.url && a.token == b.token && a.user == b.user &&
         a.timeout_s == b.timeout_s && a.connect_timeout_s == b.connect_timeout_s &&
         a.verify_tls == b.verify_tls && a.ignored_libraries == b.ignored_libraries && a.page_size == b.page_size;
}

}  // namespace ws
