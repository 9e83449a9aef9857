#include "ws/fetcher_options.h"

namespace ws {

Result<Ok> validate(const FetcherOptions& options) {
  if (auto valid = validate_worker_options(options); !valid) return valid;
  if (options.config.page_size < 1 || options.config.page_size > 10000)
    return make_error(ErrorKind::invalid_input,
                      "page_size: " + std::to_string(options.config.page_size) + " is outside 1..10000");
  return Ok{};
}

}  // namespace ws
