#include "ws/exporter_options.h"

namespace ws {

std::string effective_endpoint(const ExporterOptions& options) {
  return options.endpoint.empty() ? options.config.endpoints.workers : options.endpoint;
}

Result<Ok> validate(const ExporterOptions& options) {
  if (effective_endpoint(options).empty())
    return make_error(ErrorKind::invalid_input, "endpoints.workers: must not be empty");
  if (effective_endpoint(options).find("://") == std::string::npos)
    return make_error(ErrorKind::invalid_input, "endpoints.workers: '" + effective_endpoint(options) +
                                                    "' is not an endpoint like tcp://HOST:PORT");
  if (options.config.export_concurrency < 1 || options.config.export_concurrency > 64)
    return make_error(ErrorKind::invalid_input, "export.concurrency: " +
                                                    std::to_string(options.config.export_concurrency) +
                                                    " is outside 1..64");
  if (options.heartbeat.count() < 1)
    return make_error(ErrorKind::invalid_input, "heartbeat: must be at least 1 ms");
  for (const auto& server : options.servers)
    if (server.empty()) return make_error(ErrorKind::invalid_input, "--servers: an empty server name");
  return Ok{};
}

}  // namespace ws
