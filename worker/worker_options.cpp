#include "ws/worker_options.h"

namespace ws {

std::string effective_endpoint(const WorkerOptions& options) {
  return options.endpoint.empty() ? options.config.endpoints.workers : options.endpoint;
}

Result<Ok> validate_worker_options(const WorkerOptions& options) {
  const std::string endpoint = effective_endpoint(options);
  if (endpoint.empty()) return make_error(ErrorKind::invalid_input, "endpoints.workers: must not be empty");
  if (endpoint.find("://") == std::string::npos)
    return make_error(ErrorKind::invalid_input,
                      "endpoints.workers: '" + endpoint + "' is not an endpoint like tcp://HOST:PORT");
  if (options.heartbeat.count() < 1) return make_error(ErrorKind::invalid_input, "heartbeat: must be at least 1 ms");
  for (const auto& server : options.servers)
    if (server.empty()) return make_error(ErrorKind::invalid_input, "--servers: an empty server name");
  return Ok{};
}

JobWorkerOptions job_worker_options(const WorkerOptions& options, std::string_view service) {
  JobWorkerOptions w;
  w.endpoint = effective_endpoint(options);
  w.service = std::string(service);
  w.name = options.name;
  w.servers = options.servers;
  w.heartbeat = options.heartbeat;
  w.max_message = options.config.endpoints.max_message;
  w.curve = options.curve;
  return w;
}

}  // namespace ws
