#include "ws/exporter_options.h"

namespace ws {

Result<Ok> validate(const ExporterOptions& options) {
  if (auto valid = validate_worker_options(options); !valid) return valid;
  if (options.config.export_concurrency < 1 || options.config.export_concurrency > 64)
    return make_error(ErrorKind::invalid_input, "export.concurrency: " +
                                                    std::to_string(options.config.export_concurrency) +
                                                    " is outside 1..64");
  return Ok{};
}

}  // namespace ws
