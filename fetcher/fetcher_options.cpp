#include "ws/fetcher_options.h"

namespace ws {

std::string effective_endpoint(const FetcherOptions& options) {
  return options.endpoint.empty() ? options.config.endpoints.workers : options.endpoint;
}

Result<Ok> validate(const FetcherOptions& options) {
  if (effective_endpoint(options).empty())
    return make_error(ErrorKind::invalid_input, "endpoints.workers: must not be empty");
  if (effective_endpoint(options).find("://") == std::string::npos)
    return make_error(ErrorKind::invalid_input, "endpoints.workers: '" + effective_endpoint(options) +
                                                    "' is not an endpoint like tcp://HOST:PORT");
  if (options.config.page_size < 1 || options.config.page_size > 10000)
    return make_error(ErrorKind::invalid_input,
                      "page_size: " + std::to_string(options.config.page_size) + " is outside 1..10000");
  if (options.heartbeat.count() < 1)
    return make_error(ErrorKind::invalid_input, "heartbeat: must be at least 1 ms");
  for (const auto& server : options.servers)
    if (server.empty()) return make_error(ErrorKind::invalid_input, "--servers: an empty server name");
  return Ok{};
}

}  // namespace ws
