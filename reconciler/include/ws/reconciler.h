// The reconciler (DESIGN §2): the only owner of the LMDB state. It binds three ROUTER sockets —
// workers (fetchers and exporters, through the job broker), events (ingest) and control (the
// CLI) — and runs one control request at a time: an import pulls every library through fetch
// jobs and applies each batch through the mapper; an export plans the writes, persists them in
// the outbox, and hands them to exporters. Export jobs left in the outbox by a crash are resumed
// at start.
//
// Threads: construct, run() and destroy on one thread; stop() may be called from any thread.
#pragma once

#include <atomic>
#include <memory>

#include <zmq.hpp>

#include "ws/reconciler_options.h"
#include "ws/result.h"

namespace ws {

class Reconciler {
 public:
  // Opens the store (refused if another writer holds it) and binds the endpoints (an endpoint
  // in use is refused with its address), so that peers can connect as soon as this returns.
  static Result<std::unique_ptr<Reconciler>> create(zmq::context_t& context, ReconcilerOptions options);
  ~Reconciler();

  // Serves until stop(). Returns after finishing the current poll (within ~100 ms).
  void run();
  void stop();

  // The endpoints actually bound (a `tcp://127.0.0.1:*` endpoint resolves to its port).
  std::string workers_endpoint() const;
  std::string control_endpoint() const;
  std::string events_endpoint() const;

  class Impl;

 private:
  explicit Reconciler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ws
