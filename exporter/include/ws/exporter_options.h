// Options of ws-exporter, with their defaults; validated at construction of the exporter.
#pragma once

#include "ws/result.h"
#include "ws/worker_options.h"

namespace ws {

// Every worker's options (ws/worker_options.h); of config, the exporter uses
// export_concurrency and progress_min_delta_s.
struct ExporterOptions : WorkerOptions {};

// validate_worker_options(), and export.concurrency within 1..64.
Result<Ok> validate(const ExporterOptions& options);

}  // namespace ws
