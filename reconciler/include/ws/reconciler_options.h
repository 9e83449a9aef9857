// Options of ws-reconciler, with their defaults; validated at construction of the reconciler.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ws/config.h"
#include "ws/mapper.h"
#include "ws/result.h"

namespace ws {

struct ReconcilerOptions {
  DataPaths paths;
  AppConfig config;  // endpoints, schedule, thresholds, guard, lease, attempts
  // The clock seam: unix seconds. Tests may pin it.
  std::function<int64_t()> now;
  // Fetch jobs cover this many pages each, so several fetchers share one large library.
  int pages_per_job = 4;
  // Export jobs carry at most this many actions.
  int actions_per_job = 50;
};

// Checks what the reconciler needs before it starts; the message names the key and the value.
Result<Ok> validate(const ReconcilerOptions& options);

// The mapper's options from the configuration (rule 5 and 6 thresholds).
MapperOptions mapper_options(const AppConfig& config);

}  // namespace ws
