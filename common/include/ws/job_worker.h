// The worker half of the job broker protocol (docs/protocol.md "Workers"), shared by ws-fetcher
// and ws-exporter: a DEALER connected to the reconciler's workers endpoint that says
// `worker.ready`, takes one job at a time, heartbeats both ways and reconnects with backoff when
// the broker goes silent (zguide Paranoid Pirate).
//
// Threads: run() owns the socket and polls it (never longer than 100 ms at a time). A job's
// handler runs on a separate job thread, so a long HTTP fetch never stops heartbeats; what the
// handler sends goes through a small bounded queue to the socket thread (a socket never crosses
// threads). stop() may be called from any thread, and from a signal handler.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "ws/curve_keys.h"
#include "ws/message.h"
#include "ws/protocol.h"
#include "ws/result.h"

namespace ws {

struct JobChannel;  // internal: the queue between a job thread and the socket thread

// What a handler gets besides the job: a way to stream `batch.items` and to learn that the
// worker is stopping. Valid only during the handler call; used by the job thread only (and by
// threads the handler starts and joins before it returns).
class JobContext {
 public:
  JobContext(JobChannel& channel, std::string job, int64_t attempt);

  // Sends `batch.items` with `job`, `attempt` and `seq` (0, 1, ...) added to `body`. Blocks while
  // the queue to the socket thread is full (backpressure); returns at once when cancelled (the
  // batch is then dropped). Thread-safe. `items_msgpack`, when given, is the batch's `items` list
  // already as MessagePack (append_items_msgpack), sent without passing through a DOM.
  void send_batch(nlohmann::json body, std::string items_msgpack = {});

  // True once stop() was called or the broker was given up on: the handler should return soon
  // (its result is reported as a retryable failure). Check between pages / requests.
  bool cancelled() const;

  const std::string& job() const { return job_; }
  int64_t attempt() const { return attempt_; }

 private:
  JobChannel& channel_;
  std::string job_;
  int64_t attempt_;
  std::atomic<int64_t> seq_{0};
};

struct JobWorkerOptions {
  std::string endpoint;              // the reconciler's workers endpoint (tcp://, ipc://, inproc://)
  std::string service;               // protocol::kServiceFetch or kServiceExport
  std::string name;                  // shown in worker.ready / heartbeat and in logs
  std::vector<std::string> servers;  // servers this worker takes jobs for; empty: any
  std::chrono::milliseconds heartbeat{protocol::kHeartbeatInterval};
  int liveness = protocol::kLiveness;  // heartbeat intervals of broker silence before reconnecting
  std::chrono::milliseconds reconnect_initial{1000};  // first backoff; doubles per failed try
  std::chrono::milliseconds reconnect_max{32000};
  size_t max_message = protocol::kDefaultMaxMessage;  // config.yaml endpoints.max_message (ZMQ_MAXMSGSIZE)
  std::optional<CurveClientKeys> curve;  // set: connect with CURVE (ws/curve_keys.h)
};

// Runs one job. ok → `job.done {job, attempt, result}`; error → `job.failed {job, attempt, error,
// retryable}` with retryable = is_retryable(error). Exceptions are caught and reported as
// non-retryable failures. `job.type` is job.fetch or job.export (whichever `service` serves).
using JobHandler = std::function<Result<nlohmann::json>(const Message& job, JobContext& ctx)>;

// Transient failures that another attempt may cure: unavailable (timeouts, 5xx, refused
// connections), io, corruption (a truncated answer). Not: unauthorized, invalid input, not found.
bool is_retryable(const Error& error);

// "<prefix>-<host>-<pid>": a default worker name that tells processes apart in logs.
std::string default_worker_name(const std::string& prefix);

class JobWorker {
 public:
  // Throws std::invalid_argument for an endpoint zmq cannot connect to (malformed, unknown
  // host), an unknown service, a heartbeat < 1 ms or liveness < 1, std::runtime_error when the
  // process has no file descriptor left for the job thread's wake-up (start-up errors). The
  // context must outlive the worker.
  JobWorker(zmq::context_t& context, JobWorkerOptions options, JobHandler handler);
  ~JobWorker();
  JobWorker(const JobWorker&) = delete;
  JobWorker& operator=(const JobWorker&) = delete;

  // Connects, serves jobs until stop(); then reports a running job as a retryable failure (so
  // the broker requeues it at once), joins the job thread and returns. Call once, on one thread.
  // Throws nothing: a message it cannot handle is dropped (logged), a job that fails or throws
  // is reported as failed, and a socket error starts a new connection.
  void run();

  // Asks run() to return; it does within about 200 ms (plus the rest of an HTTP request a
  // handler is in). Only stores a flag: safe from any thread and from a signal handler.
  void stop();

  // For tests and logs: how many times run() (re)connected, i.e. said worker.ready.
  int connects() const { return connects_.load(); }

 private:
  class Session;

  zmq::context_t& context_;
  JobWorkerOptions options_;
  JobHandler handler_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connects_{0};
  int wake_fd_ = -1;  // eventfd: a job thread wakes the socket thread's poll through it
};

}  // namespace ws
