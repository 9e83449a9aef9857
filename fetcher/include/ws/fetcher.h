// ws-fetcher as a library: a stateless worker that takes `job.fetch` jobs from the reconciler's
// broker (docs/protocol.md), reads the named server through its backend client and streams the
// items back as `batch.items`. Any number may run; embedded mode runs one as a thread over
// inproc:// on the reconciler's zmq context.
//
// Threads: run() blocks (the socket thread); jobs run one at a time on a job thread. Backend
// clients (one per server, ws/server_clients.h) are kept between jobs for keep-alive and are
// only ever used by the job that runs.
#pragma once

#include <string>

#include <zmq.hpp>

#include "ws/backend_client.h"
#include "ws/fetch_job.h"
#include "ws/fetcher_options.h"
#include "ws/job_worker.h"
#include "ws/server_clients.h"

namespace ws {

class Fetcher {
 public:
  // Throws std::invalid_argument with validate()'s message when the options are wrong (a
  // start-up error). Reads servers.yaml now; a bad file is reported on the first job.
  Fetcher(zmq::context_t& context, FetcherOptions options);

  // Serves jobs until stop(). See JobWorker::run.
  void run();
  // Safe from any thread and from a signal handler.
  void stop();

  const std::string& name() const { return options_.name; }

 private:
  // The JobHandler: one job.fetch.
  Result<nlohmann::json> handle(const Message& job, JobContext& ctx);
  Result<nlohmann::json> plan(BackendClient& client, int64_t since);
  Result<nlohmann::json> pages(BackendClient& client, const FetchJob& job, JobContext& ctx);
  Result<nlohmann::json> items(BackendClient& client, const FetchJob& job);

  FetcherOptions options_;
  ServerClients clients_;  // job thread only (one job at a time)
  JobWorker worker_;       // last: its handler uses the members above
};

}  // namespace ws
