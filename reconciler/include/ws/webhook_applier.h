// The reconciler's side of webhooks (DESIGN §4, §5 rules 2-3, docs/protocol.md "Events"): takes
// `event.webhook` from ingest, applies each through the mapper, commits, and only then acks, and
// pushes what changed to every other server at once (the real-time path).
//
// What it promises:
// - Group commit: the events that arrive together (one pass of the reconciler's loop) are
//   applied in one write transaction; each is acked `ok: true` only after that commit. A failed
//   commit acks them `ok: false, retry: true` (ingest sends them again after a backoff).
// - Dedupe by `event.event_id`: an applied event is remembered in the store (7 days); a repeat is
//   acked `ok: true` without being applied again, also when it arrives while the first copy still
//   waits for its one-item fetch (both are acked once it is applied).
// - The kinds (webhook_event.h's table): state_change -> EventKind::mark, completed_play ->
//   completed_play, tainted_play / progress / item_added -> tainted. Each is mapped at the
//   event's own time (never later than the clock): events arrive out of order.
// - An event whose item the state does not know by this server's id (never imported, or added
//   since) first runs a one-item fetch job (`job.fetch kind: "items"`, one job per server for the
//   items that wait together); the server's answer is what the rules see. A failed fetch acks
//   its events `ok: false, retry: true`; an item the server no longer has acks `ok: true` with
//   nothing applied. Events of one item wait behind its fetch, in order.
// - "library ignored" (servers.yaml options.ignore) is decided on the item's library as the server
//   reports it (after the fetch) or as stored: such an event is acked with nothing applied.
// - A change of the state or the progress queues a push (ExportDispatcher::push) of that record
//   to every other server with export enabled and webhook.push on. Coalesced: one push in flight
//   per server; records changed meanwhile wait and go together in the next one, planned from the
//   state as it is then (the latest wins).
// - dry_run (webhook:test): maps the event inside a transaction that is never committed (after a
//   one-item fetch when needed) and answers with the mapper's decision; nothing is stored, pushed
//   or remembered.
//
// Threads: the reconciler's loop thread only (it owns the events socket, the broker and the store).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "ws/config.h"
#include "ws/export_dispatcher.h"
#include "ws/job_broker.h"
#include "ws/mapper.h"
#include "ws/message.h"
#include "ws/reconciler_options.h"
#include "ws/run_summary.h"
#include "ws/store.h"
#include "ws/webhook_event.h"

namespace ws {

// webhook_event.h's table: the mapper's kind for a webhook's, nullopt for `ignored`.
std::optional<EventKind> mapper_event_kind(WebhookKind kind);

// How long applied event ids are remembered (a replay after longer would be applied again).
inline constexpr int64_t kWebhookDedupeSeconds = 7 * 24 * 3600;

// One `event.webhook` as read off the wire (docs/protocol.md), every field checked.
struct WebhookMessage {
  std::string server;
  std::optional<uint64_t> spool_id;
  int64_t received_at = 0;
  int attempt = 1;
  bool dry_run = false;
  WebhookEvent event;
};
// Refuses a missing or mistyped field, an `ignored` kind and an item without an id, with a sentence
// naming the field.
Result<WebhookMessage> read_webhook_message(const nlohmann::json& body);

class WebhookApplier {
 public:
  // `events` is the reconciler's events ROUTER (acks go out on it); `servers` is the reconciler's
  // servers.yaml, `reload_servers` reads it again (called for an event naming a server it does
  // not list). Every reference must outlive the applier.
  WebhookApplier(zmq::socket_t& events, Store& store, JobBroker& broker, const ReconcilerOptions& options,
                 const ServersFile& servers, std::function<void()> reload_servers);
  ~WebhookApplier();

  // One `event.webhook` from `peer` (`ref` is the message's id). Answers at once what it can
  // (a refusal, a repeat already committed); the rest waits for flush() or a fetch.
  void on_event(const std::string& peer, const std::string& ref, const nlohmann::json& body);
  // Applies what is ready in one transaction, commits, acks; submits the fetch jobs and pushes
  // that are due. Call after each pass over the events socket.
  void flush();

  // Jobs this applier submitted (one-item fetches and pushes): their broker events come here.
  bool owns(const Job& job) const;
  void on_broker_event(const BrokerEvent& event);

  // Events received and not yet acked (waiting for a fetch or the next flush).
  size_t pending() const;

 private:
  struct Pending {
    std::string peer;
    std::string ref;
    WebhookMessage message;
    bool fetched = false;  // the item is the server's answer to a one-item fetch
  };
  struct Decision;

  const ServerConfig* server_config(const std::string& name);
  bool known_here(const MediaItem& item) const;
  void wait_for_fetch(Pending pending);
  void submit_fetches();
  void on_fetch_done(const Job& job, const nlohmann::json& result);
  void on_fetch_failed(const Job& job, const std::string& error);
  void apply_ready();
  void answer_dry_runs(std::vector<Pending>& dry);
  Decision map_one(WriteBatch& batch, const Pending& p, int64_t now, int64_t last_sync);
  void queue_pushes(const std::string& from_server, uint64_t record_id);
  void send_pushes();
  void ack(const Pending& p, bool ok, bool retry, const std::string& error, const nlohmann::json* decision);
  void refuse(const std::string& peer, const std::string& ref, const nlohmann::json& body, const std::string& error);

  zmq::socket_t& events_;
  Store& store_;
  JobBroker& broker_;
  const ReconcilerOptions& options_;
  const ServersFile& servers_;
  std::function<void()> reload_servers_;

  std::vector<Pending> ready_;                              // applied at the next flush, in order
  std::map<std::string, std::vector<Pending>> waiting_;     // server\0item id -> events behind its fetch
  std::map<std::string, std::set<std::string>> to_fetch_;   // server -> item ids not yet submitted
  std::map<std::string, std::vector<std::string>> fetching_;  // fetch job id -> its waiting_ keys
  std::map<std::string, std::set<uint64_t>> to_push_;       // server -> records changed since its last push
  std::map<std::string, int64_t> last_syncs_;              // per flush: each server's import lastSync
  uint64_t next_job_ = 0;
  int64_t last_forget_ = 0;

  RunSummary push_summary_;  // the push path's counts and errors (logged; no requester)
  std::unique_ptr<ExportDispatcher> dispatcher_;
};

}  // namespace ws
