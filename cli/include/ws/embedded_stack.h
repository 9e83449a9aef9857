// Embedded mode (DESIGN §2): the reconciler, fetchers and exporters as threads of this process,
// wired over inproc:// on one ZeroMQ context (or over the configured tcp endpoints for `serve`,
// so other processes can join). The same code as the multi-process stack.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "ws/config.h"
#include "ws/result.h"

namespace ws {

class Reconciler;
class Fetcher;
class Exporter;
class Ingest;

// How many fetcher threads embedded mode starts when the user does not say (`--fetchers`):
// the servers to pull side by side — the mapper's end state does not depend on the order of
// their batches (reconciler/import_order_test.cpp) — one per server, at most max(2, cores).
// Fetching is mostly waiting for a server, then parsing; two at a time already overlap one
// server's wait with another's parse on a 2-core home server, and each more thread costs memory
// (its page buffers, its allocator arena) for little more speed (docs/BENCHMARKS.md).
// Memory stays bounded whatever the count: a fetcher gets its next job only once the broker has
// its job.done, which follows the job's batches down the same socket, so at most
// pages_per_job pages per fetcher are between fetch and apply.
// `servers`: how many servers the run pulls; `cores`: std::thread::hardware_concurrency() (0 =
// unknown).
int default_embedded_fetchers(size_t servers, unsigned cores);

struct EmbeddedStackOptions {
  DataPaths paths;
  AppConfig config;
  bool use_config_endpoints = false;  // serve: bind config.endpoints; otherwise inproc://
  int fetchers = 1;
  int exporters = 1;
  // Called (on the failing thread) when a thread of the stack ends with an exception: its
  // component stopped, the others go on. `serve` stops with a non-zero exit on it.
  std::function<void(const std::string& error)> on_failure;
  bool ingest = false;  // serve: also take webhooks on webhook.listen (ws-ingest as a thread)
};

class EmbeddedStack {
 public:
  // Opens the store (refused when another process holds it), binds, starts every thread. A
  // thread whose component throws logs it and reports it to options.on_failure, never aborting
  // the process.
  static Result<std::unique_ptr<EmbeddedStack>> start(EmbeddedStackOptions options);
  // Stops every thread and waits for them.
  ~EmbeddedStack();

  zmq::context_t& context() { return context_; }
  std::string control_endpoint() const { return control_endpoint_; }
  std::string workers_endpoint() const { return workers_endpoint_; }
  // Where ingest takes webhooks ("http://127.0.0.1:8081"); empty without ingest.
  std::string webhook_url() const;
  // Thread-safe; the destructor waits.
  void stop();

 private:
  EmbeddedStack() = default;

  zmq::context_t context_;  // first member: destroyed last, after every socket
  std::unique_ptr<Reconciler> reconciler_;
  std::vector<std::unique_ptr<Fetcher>> fetchers_;
  std::vector<std::unique_ptr<Exporter>> exporters_;
  std::unique_ptr<Ingest> ingest_;
  std::vector<std::thread> threads_;
  std::string control_endpoint_;
  std::string workers_endpoint_;
};

}  // namespace ws
