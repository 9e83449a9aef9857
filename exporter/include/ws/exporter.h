// ws-exporter as a library: a stateless worker that takes `job.export` jobs from the
// reconciler's broker (docs/protocol.md) and writes watch state to the named server, reading the
// server's current state first so nothing is written twice, and reading it back after its writes
// so the reconciler stores what the server shows (export_job.h). Any number may run; embedded
// mode runs one as a thread over inproc:// on the reconciler's zmq context.
//
// Threads: run() blocks (the socket thread); jobs run one at a time on a job thread, which
// spreads a job's actions over at most config.export_concurrency threads, each with its own
// backend client (ws/server_clients.h: clients are kept between jobs for keep-alive; a server's
// SeriesCache is shared by its clients).
#pragma once

#include <string>

#include <zmq.hpp>

#include "ws/backend_client.h"
#include "ws/export_action.h"
#include "ws/exporter_options.h"
#include "ws/job_worker.h"
#include "ws/server_clients.h"

namespace ws {

class Exporter {
 public:
  // Throws std::invalid_argument with validate()'s message when the options are wrong (a
  // start-up error). Reads servers.yaml now; a bad file is reported on the first job.
  Exporter(zmq::context_t& context, ExporterOptions options);

  // Serves jobs until stop(). See JobWorker::run.
  void run();
  // Safe from any thread and from a signal handler.
  void stop();

  const std::string& name() const { return options_.name; }

 private:
  // The JobHandler: one job.export → {done: [{key, written}], failed: [{key, error}]}.
  Result<nlohmann::json> handle(const Message& job, JobContext& ctx);

  ExporterOptions options_;
  ServerClients clients_;  // job thread only (one job at a time); at most export_concurrency per server
  JobWorker worker_;       // last: its handler uses the members above
};

}  // namespace ws
