// Options of ws-exporter, with their defaults; validated at construction of the exporter.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "ws/backend_client.h"
#include "ws/config.h"
#include "ws/protocol.h"
#include "ws/result.h"

namespace ws {

struct ExporterOptions {
  DataPaths paths;   // servers.yaml is read from here (urls and tokens never cross the wire)
  AppConfig config;  // endpoints.workers, export_concurrency, progress_min_delta_s
  std::string endpoint;              // --endpoint; empty: config.endpoints.workers
  std::string name;                  // --name, shown to the broker; empty: exporter-<host>-<pid>
  std::vector<std::string> servers;  // --servers: take jobs for these only; empty: any server
  // Seam (STYLE 14): transport factory, timeouts and retry policy of the backend clients.
  BackendOptions backend;
  std::chrono::milliseconds heartbeat{protocol::kHeartbeatInterval};  // tests shorten it
};

// The workers endpoint the exporter connects to: the --endpoint override, else the config's.
std::string effective_endpoint(const ExporterOptions& options);

// Checks what the exporter needs before it starts; the message names the key and the value.
Result<Ok> validate(const ExporterOptions& options);

}  // namespace ws
