// Options of ws-fetcher, with their defaults; validated at construction of the fetcher.
#pragma once

#include "ws/result.h"
#include "ws/worker_options.h"

namespace ws {

// Every worker's options (ws/worker_options.h); of config, the fetcher uses page_size when a
// job gives none.
struct FetcherOptions : WorkerOptions {};

// validate_worker_options(), and page_size within 1..10000.
Result<Ok> validate(const FetcherOptions& options);

}  // namespace ws
