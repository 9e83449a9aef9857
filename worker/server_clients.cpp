#include "ws/server_clients.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace ws {

ServerClients::ServerClients(const WorkerOptions& options, std::string role)
    : role_(std::move(role)),
      name_(options.name),
      served_(options.servers),
      backend_(options.backend),
      directory_(options.paths.servers_file()) {
  if (auto loaded = directory_.load(); !loaded)
    spdlog::warn("{}: {} (jobs will fail until it is fixed)", name_, loaded.error().message);
}

Result<ServerClients::Pool*> ServerClients::clients_for(const std::string& server, size_t count) {
  if (!served_.empty() && std::find(served_.begin(), served_.end(), server) == served_.end())
    return make_error(ErrorKind::unavailable,  // another worker may serve it: worth another attempt
                      role_ + " '" + name_ + "' does not serve server '" + server + "'");
  auto config = directory_.find(server);
  if (!config) return config.error();
  auto it = pools_.find(server);
  if (it != pools_.end() && !same_connection(it->second.config, *config)) {
    spdlog::info("{}: servers.yaml changed for '{}'; new clients", name_, server);
    pools_.erase(it);
    it = pools_.end();
  }
  if (it == pools_.end()) {
    Pool pool;
    pool.config = *config;
    pool.series = std::make_shared<SeriesCache>();
    it = pools_.emplace(server, std::move(pool)).first;
  }
  Pool& pool = it->second;
  BackendOptions backend = backend_;
  backend.series_cache = pool.series;
  while (pool.clients.size() < count) pool.clients.push_back(make_backend_client(pool.config, backend));
  return &pool;
}

}  // namespace ws
