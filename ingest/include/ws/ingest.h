// The ingest process (DESIGN §2, §4, §8): an HTTP server on webhook.listen that takes webhooks
// from Plex, Jellyfin and Emby, commits each accepted event to its own durable spool before
// answering 202, and a forwarder that sends the spool to the reconciler's events endpoint and
// forgets an event only once the reconciler acked it.
//
// HTTP:
//   POST <any path>?type=plex|jellyfin|emby&apikey=KEY   (key also as X-Apikey)
//        decided by webhook_intake.h; 202 only once the event is on disk; 503 + Retry-After when
//        the spool is full or cannot be written. Every answer carries X-Status "<code>: <why>".
//   GET /healthz   JSON: spool depth, failed count, writable, reconciler connected, last ack.
//                  200 while events can be accepted, 503 when the spool cannot be written.
//   GET /metrics   Prometheus text (ingest_metrics.h).
//
// servers.yaml is read again when it changes (servers:test records uuid and owner_id), checked at
// most every options.servers_reload. config.yaml is read once.
//
// Threads: create() opens the spool and binds the port; run() serves on the calling thread (and
// runs the forwarder on another) until stop(), which any thread may call, also before run().
#pragma once

#include <memory>
#include <string>

#include <zmq.hpp>

#include "ws/event_forwarder.h"
#include "ws/ingest_metrics.h"
#include "ws/ingest_options.h"
#include "ws/result.h"
#include "ws/spool.h"

namespace ws {

class Ingest {
 public:
  // Opens the spool in options.paths.spool_dir() (refused when another ingest holds it) and
  // binds webhook.listen (port 0: any free port, see listening_port()).
  static Result<std::unique_ptr<Ingest>> create(zmq::context_t& context, IngestOptions options);
  ~Ingest();

  int listening_port() const;
  // "http://127.0.0.1:PORT" (the listen host, or 127.0.0.1 for a wildcard host).
  std::string base_url() const;

  void run();
  void stop();

  const Spool& spool() const;
  ForwarderStatus forwarder_status() const;
  const IngestMetrics& metrics() const;

 private:
  struct Impl;
  explicit Ingest(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws
