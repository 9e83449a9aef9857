#include "ws/reconciler.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <deque>
#include <optional>
#include <tuple>
#include <vector>

#include <spdlog/spdlog.h>

#include "ws/control_request.h"
#include "ws/curve_keys.h"
#include "ws/disconnect_log.h"
#include "ws/job_broker.h"
#include "ws/job_results.h"
#include "ws/logging.h"
#include "ws/protocol.h"
#include "ws/refusal_log.h"
#include "ws/request_run.h"
#include "ws/store.h"
#include "ws/store_compaction.h"
#include "ws/store_recovery.h"
#include "ws/webhook_applier.h"
#include "ws/zap_handler.h"
#include "ws/zmq_channel.h"

namespace ws {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr int kMaxMessagesPerLoop = 1000;  // keeps control and ticks responsive under load
constexpr auto kProgressInterval = std::chrono::milliseconds(250);
constexpr auto kStatusInterval = std::chrono::milliseconds(1000);  // keeps a waiting CLI's liveness
using protocol::kMaxQueuedRequests;

// The body's `id` when it has a string one: the `ref` of an answer.
std::string ref_of(const Envelope& env) {
  if (!env.message) return "";
  auto it = env.message->body.find("id");
  return it != env.message->body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string bound_endpoint(zmq::socket_t& socket) { return socket.get(zmq::sockopt::last_endpoint); }

// What a compaction did (store_compaction.h), in the log. Best effort: a store in use is left as
// it is, and a failure (the live store then stays whole) is a warning.
void log_compaction(const std::filesystem::path& dir, const Result<StoreCompaction>& done) {
  if (!done) {
    spdlog::warn("state store '{}' not compacted: {}", dir.string(), done.error().message);
  } else if (done->compacted) {
    spdlog::info("state store '{}' compacted: data.mdb {} -> {} KiB in {:.2f} s", dir.string(),
                 done->bytes_before >> 10, done->bytes_after >> 10, done->seconds);
  } else if (done->estimated_after != 0) {
    spdlog::debug("state store '{}' not compacted: {}", dir.string(), done->skipped);
  }
}

// Rewrites the store densely when imports left its pages sparse, while nothing holds it: before
// the reconciler opens it and after it has closed it.
void compact_store(const std::filesystem::path& dir, size_t map_size) {
  StoreCompactionOptions options;
  options.dir = dir;
  options.map_size = map_size;
  log_compaction(dir, compact_store_if_sparse(options));
}

}  // namespace

class Reconciler::Impl {
 public:
  Impl(zmq::context_t& context, ReconcilerOptions options, std::unique_ptr<Store> store)
      : options_(std::move(options)),
        store_(std::move(store)),
        workers_(context, zmq::socket_type::router),
        control_(context, zmq::socket_type::router),
        events_(context, zmq::socket_type::router),
        broker_(workers_, broker_options()),
        worker_disconnects_(context, workers_, "workers", options_.config.endpoints.max_message, spdlog::level::info),
        control_disconnects_(context, control_, "control", options_.config.endpoints.max_message, spdlog::level::debug),
        event_disconnects_(context, events_, "events", options_.config.endpoints.max_message, spdlog::level::info),
        webhooks_(events_, *store_, broker_, options_, servers_, [this] { (void)reload_servers(); }) {}

  JobBroker::Options broker_options() const {
    JobBroker::Options o;
    o.lease = std::chrono::seconds(options_.config.job_lease_s);
    o.max_attempts = options_.config.job_max_attempts;
    o.queue_timeout = std::chrono::seconds(options_.config.job_queue_timeout_s);
    o.check_result = check_job_result;
    return o;
  }

  Result<Ok> bind(zmq::context_t& context) {
    for (auto* s : {&workers_, &control_, &events_}) {
      configure_socket(*s, options_.config.endpoints.max_message);
      s->set(zmq::sockopt::router_mandatory, 1);
      s->set(zmq::sockopt::sndhwm, 100000);
      s->set(zmq::sockopt::rcvhwm, 100000);
    }
    const auto& e = options_.config.endpoints;
    if (auto secured = secure(context); !secured) return secured.error();
    std::pair<zmq::socket_t*, const std::string*> binds[] = {{&workers_, &e.workers}, {&control_, &e.control}, {&events_, &e.events}};
    for (auto& [socket, endpoint] : binds) {
      try {
        socket->bind(*endpoint);
      } catch (const zmq::error_t& err) {
        return make_error(ErrorKind::unavailable, "cannot bind " + *endpoint + ": " + err.what() +
                                                      " (is another reconciler running?)");
      }
    }
    return Ok{};
  }

  // CURVE on the endpoints that are not loopback (ws/curve_keys.h), with the ZAP handler that
  // admits the known role keys; before binding, so no client ever meets an open endpoint.
  Result<Ok> secure(zmq::context_t& context) {
    const auto& e = options_.config.endpoints;
    std::vector<std::pair<zmq::socket_t*, std::string>> secured;
    std::string first_endpoint;
    for (auto [socket, endpoint, domain] : {std::tuple{&workers_, &e.workers, "workers"},
                                           std::tuple{&control_, &e.control, "control"},
                                           std::tuple{&events_, &e.events, "events"}}) {
      if (!endpoint_needs_curve(*endpoint)) continue;
      secured.emplace_back(socket, domain);
      if (first_endpoint.empty()) first_endpoint = *endpoint;
    }
    if (secured.empty()) return Ok{};
    const std::string why = "endpoint " + first_endpoint + " is not loopback, so CURVE is on: ";
    if (!curve_available())
      return make_error(ErrorKind::unavailable, why + "this libzmq has no CURVE (zmq_has(\"curve\") is false)");
    const auto keys_dir = options_.paths.keys_dir();
    auto own = load_curve_keypair(keys_dir, curve_role::kReconciler);
    if (!own) return make_error(own.error().kind, why + own.error().message);
    std::vector<std::string> domains;
    std::string names;
    for (const auto& [socket, domain] : secured) {
      domains.push_back(domain);
      names += (names.empty() ? "" : ", ") + domain;
    }
    auto allowed = ZapHandler::load_allowed(keys_dir, domains);
    if (!allowed) return make_error(allowed.error().kind, why + allowed.error().message);
    auto zap = ZapHandler::bind(context, std::move(*allowed));
    if (!zap) return zap.error();
    zap_ = std::move(*zap);
    for (const auto& [socket, domain] : secured) apply_curve_server(*socket, *own, domain);
    spdlog::info("reconciler: CURVE on {} (server key {}, keys in {})", names, curve_fingerprint(own->public_z85),
                 keys_dir.string());
    return Ok{};
  }

  Result<Ok> reload_servers() {
    auto loaded = load_servers(options_.paths.servers_file());
    if (!loaded) return loaded.error();
    servers_ = std::move(loaded.value());
    for (const auto& w : servers_.warnings) warn_once(w.message);  // reloaded at every run: say it once
    return Ok{};
  }

  void run() {
    if (auto outbox = store_->outbox(); !outbox.empty()) {
      ControlRequest resume;
      resume.command = "resume";
      start_run(std::move(resume), &outbox);
    }
    schedule_from(options_.now());
    while (!stop_.load()) {
      try {
        loop_once();
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) {  // the context is closing: nothing can be sent or received
          spdlog::warn("reconciler: the zmq context was closed; stopping");
          break;
        }
        on_internal_error(e.what());
      } catch (const std::exception& e) {
        on_internal_error(e.what());
      }
    }
    spdlog::debug("reconciler: stopped");
  }

  // The last resort behind the checks: a failure nobody expected fails the request it happened
  // in, never the process.
  void on_internal_error(const std::string& what) {
    spdlog::error("reconciler: internal error: {}", what);
    if (run_) run_->abort("internal error: " + what);
  }

  // Handles one message so that whatever it throws is logged and refused (an ack is never
  // answered) and the loop goes on with the next.
  template <typename Handle>
  void handle_safely(zmq::socket_t& socket, RefusalLog& log, const Envelope& env, Handle&& handle) {
    try {
      handle();
    } catch (const std::exception& e) {
      log.refused(env.peer, "a message that failed internally", std::string("internal error: ") + e.what());
      if (env.answerable()) send_refusal(socket, env.peer, ref_of(env), std::string("internal error: ") + e.what(), false);
    }
  }

  void loop_once() {
    zmq::pollitem_t items[] = {{workers_.handle(), 0, ZMQ_POLLIN, 0},
                               {control_.handle(), 0, ZMQ_POLLIN, 0},
                               {events_.handle(), 0, ZMQ_POLLIN, 0},
                               {worker_disconnects_.events().handle(), 0, ZMQ_POLLIN, 0},
                               {control_disconnects_.events().handle(), 0, ZMQ_POLLIN, 0},
                               {event_disconnects_.events().handle(), 0, ZMQ_POLLIN, 0},
                               {zap_ ? zap_->socket().handle() : nullptr, 0, ZMQ_POLLIN, 0}};
    auto timeout = std::min(broker_.next_timeout(), std::chrono::milliseconds(100));
    zmq::poll(items, zap_ ? 7 : 6, std::max(timeout, std::chrono::milliseconds(0)));
    if (zap_) zap_->drain();  // handshakes wait for it: first
    for (auto* log : {&worker_disconnects_, &control_disconnects_, &event_disconnects_}) log->drain();

    std::vector<BrokerEvent> events;
    for (int n = 0; n < kMaxMessagesPerLoop; ++n) {
      auto env = receive_message(workers_, true);
      if (!env) break;
      handle_safely(workers_, worker_refusals_, *env, [&] {
        auto handled = broker_.handle(std::move(*env));  // a batch's items move into its event
        std::move(handled.begin(), handled.end(), std::back_inserter(events));
      });
    }
    auto ticked = broker_.tick();
    std::move(ticked.begin(), ticked.end(), std::back_inserter(events));
    if (!events.empty()) {
      // The webhook path's jobs (one-item fetches, pushes) are its own; the rest are the request's.
      std::vector<BrokerEvent> for_run;
      for (auto& e : events) {
        if (webhooks_.owns(e.job)) {
          webhooks_.on_broker_event(e);
        } else {
          for_run.push_back(std::move(e));
        }
      }
      if (!for_run.empty() && run_) {
        run_->on_events(for_run);
      } else if (!for_run.empty()) {
        spdlog::debug("reconciler: {} job events arrived with no request running; dropped", for_run.size());
      }
    }

    for (int n = 0; n < kMaxMessagesPerLoop; ++n) {
      auto env = receive_message(control_, true);
      if (!env) break;
      handle_safely(control_, control_refusals_, *env, [&] { on_control(*env); });
    }
    for (int n = 0; n < kMaxMessagesPerLoop; ++n) {
      auto env = receive_message(events_, true);
      if (!env) break;
      handle_safely(events_, event_refusals_, *env, [&] { on_event(*env); });
    }
    webhooks_.flush();  // group commit: the events of this pass in one transaction, then their acks

    if (run_ && run_->finished()) finish_run();
    if (!run_ && !queue_.empty()) {
      auto next = std::move(queue_.front());
      queue_.pop_front();
      start_run(std::move(next), nullptr);
    }
    on_schedule();
    keep_peers_informed();
  }

  void on_control(const Envelope& env) {
    if (!env.message) {
      if (!env.answerable()) {
        control_refusals_.refused(env.peer, "a malformed ack (dropped)", env.message.error().message);
        return;
      }
      control_refusals_.refused(env.peer, "an undecodable message", env.message.error().message);
      send_refusal(control_, env.peer, "", env.message.error().message, false);
      return;
    }
    const auto& msg = env.message.value();
    const std::string ref = ref_of(env);
    if (msg.type == protocol::kHeartbeat || msg.type == protocol::kAck) return;  // an ack is never answered
    if (msg.type != protocol::kCtlRequest) {
      control_refusals_.refused(env.peer, msg.type, "not a control message");
      send_refusal(control_, env.peer, ref, "the control endpoint takes ctl.request, not " + msg.type, false);
      return;
    }
    auto request = parse_control_request(msg.body);
    if (!request) {
      control_refusals_.refused(env.peer, msg.type, request.error().message);
      send_refusal(control_, env.peer, ref, request.error().message, false);
      return;
    }
    request->peer = env.peer;
    if (request->command == "status") {
      reply(env.peer, ref, true, "", status());
      return;
    }
    if (queue_.size() >= kMaxQueuedRequests) {
      spdlog::warn("control: {} refused: {} requests are queued already", request->command, queue_.size());
      reply(env.peer, ref, false,
            "the reconciler has " + std::to_string(queue_.size()) + " requests queued already (at most " +
                std::to_string(kMaxQueuedRequests) + "); try again once they are done",
            nlohmann::json::object());
      return;
    }
    spdlog::info("control: {} requested{}", request->command, request->dry_run ? " (dry run)" : "");
    queue_.push_back(std::move(request.value()));
  }

  // Ingest's endpoint: event.webhook goes to the webhook applier, a heartbeat is answered with the
  // store's health; anything else is refused (a malformed message with what is wrong with it); an
  // ack is never answered.
  void on_event(const Envelope& env) {
    if (!env.answerable()) {
      if (!env.message) event_refusals_.refused(env.peer, "a malformed ack (dropped)", env.message.error().message);
      return;
    }
    if (!env.message) {
      event_refusals_.refused(env.peer, "an undecodable message", env.message.error().message);
      send_refusal(events_, env.peer, "", env.message.error().message, false);
      return;
    }
    const auto& msg = env.message.value();
    if (msg.type == protocol::kHeartbeat) {
      send_message(events_, Message{std::string(protocol::kHeartbeat), {{"store", store_health(*store_)}}}, env.peer);
      return;
    }
    if (msg.type == protocol::kEventWebhook) {
      webhooks_.on_event(env.peer, ref_of(env), msg.body);
      return;
    }
    const std::string error = "the events endpoint takes event.webhook, not " + msg.type;
    event_refusals_.refused(env.peer, msg.type, error);
    send_refusal(events_, env.peer, ref_of(env), error, false);
  }

  nlohmann::json status() const {
    // Per server: when its last import and its last full import started, and which kind the
    // last one was (DESIGN §5 "Incremental import").
    nlohmann::json imports = nlohmann::json::object();
    for (const auto& s : servers_.servers) {
      const int64_t last = store_->last_sync(s.name, SyncDirection::import);
      const int64_t full = store_->last_sync(s.name, SyncDirection::full_import);
      imports[s.name] = {{"last", last}, {"last_full", full}, {"kind", store_->last_import_kind(s.name)}};
    }
    return {{"running", run_ ? run_->request().command : ""},
            {"imports", std::move(imports)},
            {"queued_requests", queue_.size()},
            {"jobs_queued", broker_.queued()},
            {"jobs_in_flight", broker_.in_flight()},
            {"fetchers", broker_.workers(protocol::kServiceFetch)},
            {"exporters", broker_.workers(protocol::kServiceExport)},
            {"outbox", store_->outbox().size()},
            {"store", store_health(*store_)},
            {"next_import", next_import_.value_or(0)},
            {"next_export", next_export_.value_or(0)}};
  }

  void reply(const std::string& peer, const std::string& ref, bool ok, const std::string& error, nlohmann::json summary) {
    if (peer.empty()) return;
    nlohmann::json body = {{"ref", ref}, {"ok", ok}, {"summary", std::move(summary)}};
    if (!error.empty()) body["error"] = error;
    if (!send_message(control_, Message{std::string(protocol::kCtlReply), std::move(body)}, peer))
      spdlog::debug("control: the requester left before the reply");
  }

  void start_run(ControlRequest request, const std::vector<std::pair<std::string, std::string>>* outbox) {
    // After a failed commit, each request first tries the store again with config.yaml's map size.
    if (auto writable = reopen_if_failed(*store_, options_.paths.config_file()); !writable) {
      reply(request.peer, request.ref, false, writable.error().message, nlohmann::json::object());
      return;
    }
    if (auto loaded = reload_servers(); !loaded) {
      reply(request.peer, request.ref, false, loaded.error().message, nlohmann::json::object());
      return;
    }
    auto progress = [this](const std::string& server, const std::string& phase, uint64_t done, uint64_t total) {
      last_progress_ = {{"server", server}, {"phase", phase}, {"done", done}, {"total", total}};
      auto t = SteadyClock::now();
      if (t - last_progress_sent_ >= kProgressInterval || done == total) send_progress();
    };
    run_ = std::make_unique<RequestRun>(std::move(request), *store_, broker_, options_, servers_, progress);
    if (outbox) {
      run_->resume_outbox(*outbox);
    } else {
      run_->start();
    }
  }

  void send_progress() {
    if (!run_ || run_->request().peer.empty() || last_progress_.is_null()) return;
    auto body = last_progress_;
    body["ref"] = run_->request().ref;
    const RequestRun& run = *run_;
    if (auto missing = broker_.waiting_for([&](const Job& job) { return run.owns(job); }); !missing.empty())
      body["waiting"] = "waiting for " + missing + " (a job no connected worker can take fails after " +
                        std::to_string(options_.config.job_queue_timeout_s) + " s)";
    send_message(control_, Message{std::string(protocol::kCtlProgress), std::move(body)}, run_->request().peer);
    last_progress_sent_ = SteadyClock::now();
  }

  void keep_peers_informed() {
    auto t = SteadyClock::now();
    if (t - last_status_sent_ < kStatusInterval) return;
    last_status_sent_ = t;
    if (run_ && !run_->request().peer.empty()) {
      if (last_progress_.is_null()) last_progress_ = {{"server", ""}, {"phase", "plan"}, {"done", 0}, {"total", 0}};
      send_progress();
    }
    const std::string running = run_ ? run_->request().command : "";
    size_t ahead = 0;
    for (const auto& q : queue_) {
      if (!q.peer.empty()) {
        std::string waiting = "waiting: " + q.command + " queued" + (running.empty() ? "" : " behind " + running);
        if (ahead > 0) waiting += " and " + std::to_string(ahead) + " queued before it";
        send_message(control_,
                     Message{std::string(protocol::kCtlProgress),
                             {{"ref", q.ref}, {"server", ""}, {"phase", "queued"}, {"done", 0}, {"total", 0},
                              {"waiting", waiting}}},
                     q.peer);
      }
      ++ahead;
    }
  }

  void finish_run() {
    const auto& r = *run_;
    bool ok = r.error().empty() && r.summary().ok();
    spdlog::info("control: {} {}", r.request().command, ok ? "finished" : "finished with errors");
    reply(r.request().peer, r.request().ref, ok, r.error(), nlohmann::json(r.summary()));
    const bool imported = r.request().command == "import" && !r.request().dry_run;
    run_.reset();
    last_progress_ = nullptr;
    // An import is what leaves the store's pages sparse (store_compaction.h): compact it now,
    // between requests, rather than only at the next start.
    if (imported) log_compaction(options_.paths.db_dir(), store_->compact({}));
  }

  void schedule_from(int64_t now) {
    if (options_.config.import_every.count() > 0) next_import_ = now + options_.config.import_every.count();
    if (options_.config.export_every.count() > 0) next_export_ = now + options_.config.export_every.count();
  }

  void on_schedule() {
    const int64_t now = options_.now();
    auto due = [&](std::optional<int64_t>& next, std::chrono::seconds every, const char* command) {
      if (!next || now < *next) return;
      next = now + every.count();
      // One of its kind still to do: another would only pile up behind it.
      const bool running = run_ && run_->request().command == command;
      const bool queued = std::any_of(queue_.begin(), queue_.end(), [&](const auto& q) { return q.command == command; });
      if (running || queued) {
        spdlog::info("schedule: {} is due but one is {} already; skipped", command, running ? "running" : "queued");
        return;
      }
      if (queue_.size() >= kMaxQueuedRequests) {
        spdlog::warn("schedule: {} is due but {} requests are queued; skipped", command, queue_.size());
        return;
      }
      ControlRequest r;
      r.command = command;
      spdlog::info("schedule: {} is due", command);
      queue_.push_back(std::move(r));
    };
    due(next_import_, options_.config.import_every, "import");
    due(next_export_, options_.config.export_every, "export");
  }

  ReconcilerOptions options_;
  std::unique_ptr<Store> store_;
  zmq::socket_t workers_;
  zmq::socket_t control_;
  zmq::socket_t events_;
  JobBroker broker_;
  RefusalLog worker_refusals_{"workers"};  // what fails internally; the broker logs its own refusals
  RefusalLog control_refusals_{"control"};
  RefusalLog event_refusals_{"events"};
  DisconnectLog worker_disconnects_;  // after the sockets they watch: destroyed first
  DisconnectLog control_disconnects_;
  DisconnectLog event_disconnects_;
  ServersFile servers_;
  std::unique_ptr<ZapHandler> zap_;  // only when an endpoint runs CURVE
  WebhookApplier webhooks_;  // after the store, broker, sockets and servers it uses
  std::unique_ptr<RequestRun> run_;
  std::deque<ControlRequest> queue_;
  nlohmann::json last_progress_;
  SteadyClock::time_point last_progress_sent_{};
  SteadyClock::time_point last_status_sent_{};
  std::optional<int64_t> next_import_;
  std::optional<int64_t> next_export_;
  std::atomic<bool> stop_{false};

  friend class Reconciler;
};

Result<std::unique_ptr<Reconciler>> Reconciler::create(zmq::context_t& context, ReconcilerOptions options) {
  if (!options.now) options.now = [] { return static_cast<int64_t>(std::time(nullptr)); };
  if (auto valid = validate(options); !valid) return valid.error();
  compact_store(options.paths.db_dir(), options.config.store.map_size);
  auto store = Store::open({options.paths.db_dir(), false, options.config.store.map_size});
  if (!store) return store.error();
  auto impl = std::make_unique<Impl>(context, std::move(options), std::move(store.value()));
  if (auto bound = impl->bind(context); !bound) return bound.error();
  if (auto loaded = impl->reload_servers(); !loaded) return loaded.error();
  return std::unique_ptr<Reconciler>(new Reconciler(std::move(impl)));
}

Reconciler::Reconciler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reconciler::~Reconciler() {
  const auto dir = impl_->options_.paths.db_dir();
  const size_t map_size = impl_->options_.config.store.map_size;
  impl_.reset();  // closes the store
  compact_store(dir, map_size);
}
void Reconciler::run() { impl_->run(); }
void Reconciler::stop() { impl_->stop_.store(true); }
std::string Reconciler::workers_endpoint() const { return bound_endpoint(impl_->workers_); }
std::string Reconciler::control_endpoint() const { return bound_endpoint(impl_->control_); }
std::string Reconciler::events_endpoint() const { return bound_endpoint(impl_->events_); }

}  // namespace ws
