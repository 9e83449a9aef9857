// Sends the spool's events to the reconciler and forgets them only once acked (DESIGN §4,
// docs/protocol.md "Events"). One thread runs run() and owns the DEALER socket connected to the
// reconciler's `events` ROUTER; other threads only call wake(), stop() and status().
//
// What it promises:
// - Every pending event is sent as `event.webhook`, oldest first, with at most `window` unacked at
//   once. It leaves the spool only after `ack {ok: true}` for its spool_id.
// - `ack {ok: false}` is a refusal: the event stays pending and is sent again after a backoff
//   (retry_base · 2^(n-1), at most retry_max); after `max_attempts` refusals — or at once when the
//   ack says `retry: false` — it moves to the spool's failed list. The count survives restarts
//   (it is stored in the record).
// - Nothing that is not a refusal costs an attempt: a reconciler that is down, slow or restarting
//   only delays events. When it has been silent for `liveness` heartbeat intervals with events in
//   flight, or when its messages show a new process (another id prefix, docs/protocol.md), every
//   event in flight is sent again (the reconciler dedupes by event id), and the socket is
//   reopened (zguide Paranoid Pirate; with nothing in flight, at most every 10 liveness
//   intervals). Silence counts from the first message it left unanswered, so an idle spell never
//   makes the next event look late. An event unacked after `ack_timeout` is sent again too.
// - `heartbeat {}` goes out every heartbeat interval when nothing else did; any message from the
//   reconciler counts as a sign of life (status().connected).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include <zmq.hpp>

#include "ws/curve_keys.h"
#include "ws/ingest_metrics.h"
#include "ws/message.h"
#include "ws/protocol.h"
#include "ws/result.h"
#include "ws/spool.h"

namespace ws {

struct ForwarderOptions {
  std::string endpoint;                               // the reconciler's events ROUTER
  size_t window = 512;                                // events sent and not yet acked
  int max_attempts = 10;                              // webhook.max_attempts
  std::chrono::milliseconds retry_base{1000};
  std::chrono::milliseconds retry_max{300'000};
  std::chrono::milliseconds heartbeat = protocol::kHeartbeatInterval;
  int liveness = protocol::kLiveness;
  // The reconciler acks after applying, which may wait for a one-item fetch job (jobs.lease and
  // its retries): this backstop only catches an ack that was lost.
  std::chrono::milliseconds ack_timeout{600'000};
  // endpoints.max_message: ZMQ_MAXMSGSIZE on the socket. An event whose message would be larger
  // (the reconciler's libzmq would drop the connection for it, again and again) is moved to the
  // failed list instead of being sent.
  size_t max_message = protocol::kDefaultMaxMessage;
  std::optional<CurveClientKeys> curve;  // set: connect with CURVE (ws/curve_keys.h)
};

struct ForwarderStatus {
  bool connected = false;    // heard from the reconciler within the liveness interval
  int64_t last_ack_at = 0;   // unix ms of the last ok ack; 0 = none yet
  int64_t last_heard_at = 0; // unix ms of the last message from the reconciler; 0 = none yet
  size_t in_flight = 0;
  size_t waiting_retry = 0;  // refused, waiting for their backoff
  uint64_t reconnects = 0;   // sockets reopened after a silence
  // The reconciler's store health as its last heartbeat carried it (`store {ok, error}`);
  // nullopt until one said.
  std::optional<bool> store_failed;
  std::string store_error;
};

class EventForwarder {
 public:
  EventForwarder(zmq::context_t& context, Spool& spool, IngestMetrics& metrics, ForwarderOptions options);
  ~EventForwarder();
  EventForwarder(const EventForwarder&) = delete;
  EventForwarder& operator=(const EventForwarder&) = delete;

  // Runs until stop(). Call from one thread.
  void run();
  // Thread-safe: run() returns soon after.
  void stop();
  // Thread-safe: new events were committed to the spool.
  void wake();
  // Thread-safe snapshot.
  ForwarderStatus status() const;
  // Thread-safe; blocks the caller. `webhook:test`: sends `event` for `server` as `event.webhook`
  // with `dry_run: true`, never spooled, and waits up to `timeout` for the reconciler's ack,
  // whose body it returns (`ok`, `decision` or `error`). Unavailable when no answer came.
  Result<nlohmann::json> dry_run(const std::string& server, const nlohmann::json& event, int64_t received_at,
                                 std::chrono::milliseconds timeout);

 private:
  using Clock = std::chrono::steady_clock;
  struct Flight {
    std::string message_id;
    Clock::time_point sent_at;
    int64_t accepted_ms = 0;
  };

  void open_socket();
  void receive_all();
  void on_message(const Message& message);
  void on_ack(const nlohmann::json& body);
  void refused(uint64_t spool_id, const std::string& error, bool retry);
  void requeue_in_flight(const char* why);
  void check_liveness();
  void release_due_retries();
  // Sends what the window allows; returns false when the socket would block.
  bool send_pending();
  bool send_entry(const SpoolEntry& entry);
  void send_heartbeat();
  std::chrono::milliseconds poll_timeout() const;
  void publish_status();
  void send_dry_runs();

  // webhook:test events: queued by any thread, sent by run()'s thread, answered by their ack.
  struct DryRun {
    nlohmann::json body;  // the event.webhook body, with its id
    std::shared_ptr<std::promise<nlohmann::json>> answer;
    Clock::time_point deadline;
  };
  std::mutex dry_mu_;
  std::vector<DryRun> dry_queue_;                 // guarded by dry_mu_
  std::unordered_map<std::string, DryRun> dry_sent_;  // run()'s thread: by message id

  zmq::context_t& context_;
  Spool& spool_;
  IngestMetrics& metrics_;
  ForwarderOptions options_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};

  // run()'s thread only.
  std::unique_ptr<zmq::socket_t> socket_;
  std::map<uint64_t, Flight> in_flight_;
  std::unordered_map<std::string, uint64_t> by_message_id_;
  std::multimap<Clock::time_point, uint64_t> retry_at_;  // refused events, by when they go again
  std::set<uint64_t> waiting_retry_;
  std::unordered_map<uint64_t, int> attempts_;           // refusals so far, for known events
  std::set<uint64_t> resend_;                            // go again before new ones
  uint64_t cursor_ = 0;                                  // next spool id never read yet
  std::string peer_prefix_;                              // the reconciler process, by its ids
  Clock::time_point last_sent_{};
  Clock::time_point socket_opened_{};
  // When the first event (and, apart, the first heartbeat) went out that the reconciler has not
  // answered anything since; empty once it spoke. Silence is measured from these, so neither an
  // idle spell nor a reconciler that ignores heartbeats makes a fresh event look late.
  std::optional<Clock::time_point> event_unanswered_since_;
  std::optional<Clock::time_point> beat_unanswered_since_;
  bool blocked_ = false;                                 // the socket would not take more
  uint64_t message_counter_ = 0;
  std::string message_prefix_;

  // Published for status().
  std::atomic<bool> connected_{false};
  std::atomic<int64_t> last_ack_at_{0};
  std::atomic<int64_t> last_heard_at_{0};
  std::atomic<size_t> in_flight_count_{0};
  std::atomic<size_t> waiting_count_{0};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<int> store_state_{-1};  // -1 unknown, 0 ok, 1 failed
  mutable std::mutex store_error_mu_;
  std::string store_error_;
};

}  // namespace ws
