#include "ws/ingest_options.h"

namespace ws {

Result<Ok> validate(const IngestOptions& options) {
  if (options.config.endpoints.events.empty())
    return make_error(ErrorKind::invalid_input, "endpoints.events: must not be empty");
  if (options.config.webhook.listen.find(':') == std::string::npos)
    return make_error(ErrorKind::invalid_input,
                      "webhook.listen: '" + options.config.webhook.listen + "' is not HOST:PORT");
  return Ok{};
}

}  // namespace ws
