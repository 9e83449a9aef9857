// Options of ws-fetcher, with their defaults; validated at construction of the fetcher.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "ws/backend_client.h"
#include "ws/config.h"
#include "ws/protocol.h"
#include "ws/result.h"

namespace ws {

struct FetcherOptions {
  DataPaths paths;   // servers.yaml is read from here (urls and tokens never cross the wire)
  AppConfig config;  // endpoints.workers, page_size (used when a job gives none)
  std::string endpoint;               // --endpoint; empty: config.endpoints.workers
  std::string name;                   // --name, shown to the broker; empty: fetcher-<host>-<pid>
  std::vector<std::string> servers;   // --servers: take jobs for these only; empty: any server
  // Seam (STYLE 14): transport factory, timeouts and retry policy of the backend clients. The
  // fetcher sets series_cache itself (one per server, shared by its clients).
  BackendOptions backend;
  std::chrono::milliseconds heartbeat{protocol::kHeartbeatInterval};  // tests shorten it
};

// The workers endpoint the fetcher connects to: the --endpoint override, else the config's.
std::string effective_endpoint(const FetcherOptions& options);

// Checks what the fetcher needs before it starts; the message names the key and the value.
Result<Ok> validate(const FetcherOptions& options);

}  // namespace ws
