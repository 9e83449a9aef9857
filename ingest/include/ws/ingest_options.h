// Options of ws-ingest, with their defaults; validated before the ingest starts.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "ws/config.h"
#include "ws/curve_keys.h"
#include "ws/result.h"

namespace ws {

struct IngestOptions {
  DataPaths paths;
  AppConfig config;  // webhook.* and endpoints.events are what ingest reads
  // The reconciler's events endpoint; empty = config.endpoints.events (embedded mode passes
  // inproc://ws-events).
  std::string events_endpoint;
  // HTTP worker threads: a keep-alive connection holds one while it is open, and each request
  // waits about one spool commit, so more threads means more requests share one fsync.
  int http_threads = 32;
  size_t window = 512;  // events in flight to the reconciler
  // Refusal backoff: retry_base · 2^(n-1), at most retry_max. Tests shorten them.
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_max{300'000};
  std::chrono::milliseconds heartbeat{1000};  // protocol::kHeartbeatInterval; tests shorten it
  std::chrono::milliseconds ack_timeout{600'000};
  // How often servers.yaml is looked at for changes (uuid and owner_id recorded by servers:test).
  std::chrono::milliseconds servers_reload{1000};
  // The ingest role's CURVE keys when the events endpoint is not loopback (Ingest::create loads
  // them from paths.keys_dir()).
  std::optional<CurveClientKeys> curve;
  size_t spool_map_size = 0;  // LMDB map size of the spool; 0 = SpoolOptions' default (tests shrink it)

  std::string events() const { return events_endpoint.empty() ? config.endpoints.events : events_endpoint; }
};

// Checks what the ingest needs before it starts; the message names the key and the value.
Result<Ok> validate(const IngestOptions& options);

// webhook.listen split into host and port ("0.0.0.0:8081", "[::]:8081"); an error names the key.
struct ListenAddress {
  std::string host;
  int port = 0;
};
Result<ListenAddress> parse_listen(const std::string& listen);

}  // namespace ws
