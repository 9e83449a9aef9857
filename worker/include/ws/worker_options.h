// The options every job worker (ws-fetcher, ws-exporter) has, with their defaults and the checks
// they share. FetcherOptions and ExporterOptions add only their own checks.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ws/backend_client.h"
#include "ws/config.h"
#include "ws/curve_keys.h"
#include "ws/job_worker.h"
#include "ws/protocol.h"
#include "ws/result.h"

namespace ws {

struct WorkerOptions {
  DataPaths paths;   // servers.yaml is read from here (urls and tokens never cross the wire)
  AppConfig config;  // endpoints.workers, and what the worker itself uses (page_size, export.*)
  std::string endpoint;              // --endpoint; empty: config.endpoints.workers
  std::string name;                  // --name, shown to the broker; empty: <role>-<host>-<pid>
  std::vector<std::string> servers;  // --servers: take jobs for these only; empty: any server
  // Seam (STYLE 14): transport factory, timeouts and retry policy of the backend clients. The
  // worker sets series_cache itself (one per server, shared by that server's clients).
  BackendOptions backend;
  std::chrono::milliseconds heartbeat{protocol::kHeartbeatInterval};  // tests shorten it
  // The role's CURVE keys when the endpoint is not loopback (run_worker_main loads them).
  std::optional<CurveClientKeys> curve;
};

// The workers endpoint the worker connects to: the --endpoint override, else the config's.
std::string effective_endpoint(const WorkerOptions& options);

// The checks every worker needs (endpoint, heartbeat, --servers); the message names the key and
// the value.
Result<Ok> validate_worker_options(const WorkerOptions& options);

// What the JobWorker under a worker of `service` (protocol::kServiceFetch / kServiceExport) gets.
JobWorkerOptions job_worker_options(const WorkerOptions& options, std::string_view service);

// `options` once validate(options) passed, with the default name "<role>-<host>-<pid>" when none
// was given. Throws std::invalid_argument with validate()'s message (a start-up error).
template <typename Options>
Options checked_worker_options(Options options, const std::string& role) {
  if (auto valid = validate(options); !valid) throw std::invalid_argument(valid.error().message);
  if (options.name.empty()) options.name = default_worker_name(role);
  return options;
}

}  // namespace ws
