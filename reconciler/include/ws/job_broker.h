// The job broker inside the reconciler (DESIGN §3, docs/protocol.md "Workers"): the ZeroMQ guide's
// load-balancing broker with Paranoid Pirate heartbeats, as a class the reconciler's poll loop
// drives. It owns no thread and no socket: the reconciler binds the workers ROUTER
// (ROUTER_MANDATORY on), receives with receive_message(), passes each Envelope to handle(), and
// calls tick() whenever next_timeout() has passed or after handle()/submit() (next_timeout() is 0
// while a queued job could be dispatched to an idle worker).
//
// Rules it keeps:
// - A worker says `worker.ready {worker, serves, servers?}` and gets one job at a time; the idle
//   worker that has waited longest is served first. A worker that listed servers only gets jobs
//   for those servers; jobs it cannot take do not block the jobs behind them.
// - Every dispatch is an attempt (`attempt` from 1, sent in the body with `job`). What a worker
//   sends for an attempt that is no longer in flight (or from another peer) is stale and dropped.
// - Heartbeats go to every worker at each interval in which nothing else was sent to it. Any
//   message from a worker proves it alive; silent for `liveness` intervals it is dead and its job
//   goes back to the FRONT of its queue. A send that fails (the peer vanished: EHOSTUNREACH under
//   ROUTER_MANDATORY) also makes the worker dead.
// - A job not done within its lease (renewed by each `batch.items`) is requeued at the front and
//   its worker dropped.
// - `job.failed {retryable: true}` requeues the job at the back (give the server time);
//   `retryable: false` fails it at once. A job out of attempts is reported failed with the last
//   error. A `worker.ready` from a peer with a job in flight means the worker restarted: its job
//   is requeued (the attempt counts).
// - An `ack {ok: false}` from a worker whose `ref` is the job message in flight (the worker
//   refused the job) fails that attempt; `fatal: true` also drops the worker. Acks are never
//   answered, so two peers can never bounce refusals back and forth.
// - Unknown-peer heartbeats are NOT answered (and give the peer nothing): a worker that the broker
//   does not know — because the broker restarted, or dropped it after a lease — hears silence,
//   and re-registers with `worker.ready` after its liveness interval. That is the only way a
//   restarted broker learns its workers again, so answering would hide the restart.
// - Every field is checked before use. A message the broker cannot take (another message type,
//   another schema version, a missing or mistyped field) is answered with `ack {ok: false}` naming
//   the field; a malformed ack is dropped unanswered. A refused schema version is fatal for the
//   peer. Each kind of refusal is logged once per peer per minute (RefusalLog); nothing throws.
// - What a worker sends for a job in flight is checked too: a `job.done` whose result
//   Options::check_result refuses counts as a failed, retryable attempt (the job is requeued at
//   the back; the worker, which is done, is idle again); a `batch.items` without a list of
//   `items` drops the worker (it is still running a job the broker gave up on) and requeues the
//   job at the front; a `job.failed` with mistyped fields is a retryable failure.
// - Nothing waits forever: a queued job that no connected worker could take (none offers its
//   service, or none lists its server) for `queue_timeout` fails with a message naming what is
//   missing ("no ws-exporter is connected for server jf1"). A job that only waits for a busy
//   eligible worker does not time out (that worker's lease bounds the wait).
//
// Thread safety: none; every call on the thread that owns the socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "ws/refusal_log.h"
#include "ws/result.h"
#include "ws/zmq_channel.h"

namespace ws {

struct Job {
  std::string id;            // unique; the broker puts it in the body as "job"
  std::string service;       // "fetch" | "export"
  std::string server;        // a worker that listed servers in worker.ready only gets theirs
  std::string type;          // message type to send: "job.fetch" | "job.export"
  nlohmann::json body;       // job fields; the broker adds "job" and "attempt"
  int attempts = 0;          // dispatches so far (set by the broker)
  std::string last_error;    // of the last failed/expired/died attempt
  // Set by the broker: while queued, the last time a worker that could take it was connected.
  std::chrono::steady_clock::time_point served_at{};
};

struct BrokerEvent {
  enum class Kind { batch, done, failed };
  BrokerEvent() = default;
  BrokerEvent(Kind kind_, Job job_, nlohmann::json body_, std::string items_msgpack_ = {})
      : kind(kind_), job(std::move(job_)), body(std::move(body_)), items_msgpack(std::move(items_msgpack_)) {}

  Kind kind = Kind::batch;
  Job job;                   // the job as submitted (with attempts, last_error)
  nlohmann::json body;       // batch: the batch.items body; done: the job.done "result";
                             // failed: {"error": "..."} — after max attempts
  std::string items_msgpack;  // batch: the body's `items` as MessagePack (Message::items_msgpack),
                              // when the body does not hold them
};

class JobBroker {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::milliseconds heartbeat_interval{1000};  // > 0
    int liveness = 3;                 // intervals of silence before a worker is dead; >= 1
    std::chrono::milliseconds lease{60000};              // > 0
    int max_attempts = 3;             // >= 1
    std::chrono::milliseconds queue_timeout{60000};      // > 0
    // Checks a job.done `result` before it becomes an event; an error fails the attempt
    // (retryable). Empty: every result that is a map is taken.
    std::function<Result<Ok>(const Job&, const nlohmann::json& result)> check_result;
  };

  // `workers` is the reconciler's ROUTER socket (bound by the caller, ROUTER_MANDATORY on); it
  // must outlive the broker. `now` is the clock seam (tests drive time). Throws
  // std::invalid_argument for an option out of range (a start-up bug), naming it.
  JobBroker(zmq::socket_t& workers, Options options, std::function<Clock::time_point()> now = Clock::now);

  // Queues the job at the back of its service's queue. REQUIRES: `id`, `service` and `type` set,
  // `id` not queued or in flight already (else throws std::invalid_argument: a caller bug).
  // Dispatch happens in tick().
  void submit(Job job);

  // One message received on the workers socket (see receive_message). worker.ready / heartbeat /
  // batch.items / job.done / job.failed are handled; anything else gets a refusal (ack ok:false)
  // and a log line, never an exception.
  std::vector<BrokerEvent> handle(const Envelope& envelope);
  // The same, moving a batch's items into its event instead of copying them (a batch is large).
  std::vector<BrokerEvent> handle(Envelope&& envelope);

  // Dispatches queued jobs to idle workers, sends heartbeats that are due, requeues jobs of dead
  // workers and expired leases (and drops those workers), reports jobs out of attempts.
  std::vector<BrokerEvent> tick();

  // Drops queued (not in-flight) jobs matching the predicate (e.g. a cancelled request).
  size_t cancel_queued(const std::function<bool(const Job&)>& match);

  size_t queued() const;
  size_t in_flight() const;
  // What the first queued job matching `match` waits for when no connected worker can take it
  // ("a ws-exporter for jf1"); empty when every matching job has a worker or none is queued.
  std::string waiting_for(const std::function<bool(const Job&)>& match) const;
  size_t workers(std::string_view service) const;   // live workers offering the service
  std::chrono::milliseconds next_timeout() const;   // how long the caller may poll before tick()

 private:
  struct Worker {
    std::string name;
    std::string service;
    std::set<std::string> servers;  // empty: any server
    std::string job;                // id of the job in flight; empty when idle
    Clock::time_point last_heard;
    Clock::time_point last_sent;
    uint64_t idle_since = 0;        // order in which workers became idle (oldest served first)
  };
  struct InFlight {
    Job job;
    std::string peer;
    std::string message_id;  // of the job message, to match a refusal's `ref`
    Clock::time_point deadline;
  };
  using Events = std::vector<BrokerEvent>;

  void on_ready(const std::string& peer, const Message& message, Events& events);
  std::vector<BrokerEvent> handle_impl(const Envelope& envelope, Message* movable);
  void on_job_message(const std::string& peer, const Message& message, Message* movable, Events& events);
  void on_ack(const std::string& peer, const Message& message, Events& events);
  void refuse(const std::string& peer, const std::string& ref, const std::string& error, bool fatal,
              Events& events);
  void fail_attempt(std::unordered_map<std::string, InFlight>::iterator in_flight, const std::string& error,
                    Events& events);
  void expire_unserved(Events& events);
  bool can_be_served(const Job& job) const;
  std::string missing_worker(const Job& job) const;

  bool dispatch(Events& events);
  std::string pick_worker(const std::string& service, const std::string& server) const;
  bool send_to(const std::string& peer, const Message& message);
  void drop_worker(const std::string& peer, const std::string& reason, Events& events);
  void finish(std::unordered_map<std::string, InFlight>::iterator in_flight);
  void requeue_or_fail(Job job, bool front, Events& events);
  bool has_idle_worker(const std::string& service) const;
  bool dispatchable() const;

  zmq::socket_t& socket_;
  Options options_;
  std::function<Clock::time_point()> now_;
  std::string message_prefix_;  // random per broker: job message ids never repeat across restarts
  uint64_t message_counter_ = 0;
  uint64_t idle_counter_ = 0;

  std::map<std::string, std::deque<Job>, std::less<>> queues_;  // by service, FIFO
  std::unordered_map<std::string, Worker> workers_;            // by routing id
  std::unordered_map<std::string, InFlight> in_flight_;        // by job id
  std::unordered_set<std::string> job_ids_;                    // queued or in flight
  RefusalLog refusals_;
};

}  // namespace ws
