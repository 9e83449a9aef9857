#include "ws/reconciler_options.h"

namespace ws {

Result<Ok> validate(const ReconcilerOptions& options) {
  const auto& e = options.config.endpoints;
  if (e.workers.empty() || e.events.empty() || e.control.empty())
    return make_error(ErrorKind::invalid_input, "endpoints: workers, events and control must all be set");
  if (options.config.job_max_attempts < 1)
    return make_error(ErrorKind::invalid_input, "jobs.max_attempts: must be at least 1");
  if (options.pages_per_job < 1 || options.actions_per_job < 1)
    return make_error(ErrorKind::invalid_input, "pages_per_job and actions_per_job must be at least 1");
  return Ok{};
}

MapperOptions mapper_options(const AppConfig& config) {
  MapperOptions m;
  m.progress_min_delta_ms = int64_t{config.progress_min_delta_s} * 1000;
  m.rewatch_threshold_ms = int64_t{config.progress_rewatch_threshold_s} * 1000;
  m.multi_episode_max = config.multi_episode_max;
  return m;
}

}  // namespace ws
