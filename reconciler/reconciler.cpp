#include "ws/reconciler.h"

#include <chrono>
#include <deque>
#include <optional>

#include <spdlog/spdlog.h>

#include "ws/control_request.h"
#include "ws/job_broker.h"
#include "ws/protocol.h"
#include "ws/request_run.h"
#include "ws/store.h"
#include "ws/store_recovery.h"
#include "ws/zmq_channel.h"

namespace ws {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr int kMaxMessagesPerLoop = 1000;  // keeps control and ticks responsive under load
constexpr auto kProgressInterval = std::chrono::milliseconds(250);
constexpr auto kStatusInterval = std::chrono::milliseconds(1000);  // keeps a waiting CLI's liveness

std::string bound_endpoint(zmq::socket_t& socket) { return socket.get(zmq::sockopt::last_endpoint); }

}  // namespace

class Reconciler::Impl {
 public:
  Impl(zmq::context_t& context, ReconcilerOptions options, std::unique_ptr<Store> store)
      : options_(std::move(options)),
        store_(std::move(store)),
        workers_(context, zmq::socket_type::router),
        control_(context, zmq::socket_type::router),
        events_(context, zmq::socket_type::router),
        broker_(workers_, broker_options()) {}

  JobBroker::Options broker_options() const {
    JobBroker::Options o;
    o.lease = std::chrono::seconds(options_.config.job_lease_s);
    o.max_attempts = options_.config.job_max_attempts;
    return o;
  }

  Result<Ok> bind() {
    for (auto* s : {&workers_, &control_, &events_}) {
      s->set(zmq::sockopt::router_mandatory, 1);
      s->set(zmq::sockopt::linger, 0);
      s->set(zmq::sockopt::sndhwm, 100000);
      s->set(zmq::sockopt::rcvhwm, 100000);
    }
    const auto& e = options_.config.endpoints;
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

  Result<Ok> reload_servers() {
    auto loaded = load_servers(options_.paths.servers_file());
    if (!loaded) return loaded.error();
    servers_ = std::move(loaded.value());
    for (const auto& w : servers_.warnings) spdlog::warn("{}", w.message);
    return Ok{};
  }

  void run() {
    if (auto outbox = store_->outbox(); !outbox.empty()) {
      ControlRequest resume;
      resume.command = "resume";
      start_run(std::move(resume), &outbox);
    }
    schedule_from(options_.now());
    while (!stop_.load()) loop_once();
    spdlog::debug("reconciler: stopped");
  }

  void loop_once() {
    zmq::pollitem_t items[] = {{workers_.handle(), 0, ZMQ_POLLIN, 0},
                               {control_.handle(), 0, ZMQ_POLLIN, 0},
                               {events_.handle(), 0, ZMQ_POLLIN, 0}};
    auto timeout = std::min(broker_.next_timeout(), std::chrono::milliseconds(100));
    zmq::poll(items, 3, std::max(timeout, std::chrono::milliseconds(0)));

    std::vector<BrokerEvent> events;
    for (int n = 0; n < kMaxMessagesPerLoop; ++n) {
      auto env = receive_message(workers_, true);
      if (!env) break;
      auto handled = broker_.handle(*env);
      std::move(handled.begin(), handled.end(), std::back_inserter(events));
    }
    auto ticked = broker_.tick();
    std::move(ticked.begin(), ticked.end(), std::back_inserter(events));
    if (!events.empty()) {
      if (run_) {
        run_->on_events(events);
      } else {
        spdlog::debug("reconciler: {} job events arrived with no request running; dropped", events.size());
      }
    }

    for (int n = 0; n < kMaxMessagesPerLoop; ++n) {
      auto env = receive_message(control_, true);
      if (!env) break;
      on_control(*env);
    }
    for (int n = 0; n < kMaxMessagesPerLoop; ++n) {
      auto env = receive_message(events_, true);
      if (!env) break;
      std::string ref = env->message ? env->message->body.value("id", "") : "";
      send_refusal(events_, env->peer, ref, "event.webhook is not handled by this reconciler yet", false);
    }

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
      spdlog::warn("control: refused a message: {}", env.message.error().message);
      send_refusal(control_, env.peer, "", env.message.error().message, false);
      return;
    }
    const auto& msg = env.message.value();
    const std::string ref = msg.body.value("id", "");
    if (msg.type == protocol::kHeartbeat) return;
    if (msg.type != protocol::kCtlRequest) {
      send_refusal(control_, env.peer, ref, "the control endpoint takes ctl.request, not " + msg.type, false);
      return;
    }
    auto request = parse_control_request(msg.body);
    if (!request) {
      reply(env.peer, ref, false, request.error().message, nlohmann::json::object());
      return;
    }
    request->peer = env.peer;
    if (request->command == "status") {
      reply(env.peer, ref, true, "", status());
      return;
    }
    spdlog::info("control: {} requested{}", request->command, request->dry_run ? " (dry run)" : "");
    queue_.push_back(std::move(request.value()));
  }

  nlohmann::json status() const {
    return {{"running", run_ ? run_->request().command : ""},
            {"queued_requests", queue_.size()},
            {"jobs_queued", broker_.queued()},
            {"jobs_in_flight", broker_.in_flight()},
            {"fetchers", broker_.workers(protocol::kServiceFetch)},
            {"exporters", broker_.workers(protocol::kServiceExport)},
            {"outbox", store_->outbox().size()},
            {"store", store_health(*store_)}};
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
    for (const auto& q : queue_) {
      if (q.peer.empty()) continue;
      send_message(control_,
                   Message{std::string(protocol::kCtlProgress),
                           {{"ref", q.ref}, {"server", ""}, {"phase", "queued"}, {"done", 0}, {"total", 0}}},
                   q.peer);
    }
  }

  void finish_run() {
    const auto& r = *run_;
    bool ok = r.error().empty() && r.summary().ok();
    spdlog::info("control: {} {}", r.request().command, ok ? "finished" : "finished with errors");
    reply(r.request().peer, r.request().ref, ok, r.error(), nlohmann::json(r.summary()));
    run_.reset();
    last_progress_ = nullptr;
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
  ServersFile servers_;
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
  auto store = Store::open({options.paths.db_dir(), false, options.config.store.map_size});
  if (!store) return store.error();
  auto impl = std::make_unique<Impl>(context, std::move(options), std::move(store.value()));
  if (auto bound = impl->bind(); !bound) return bound.error();
  if (auto loaded = impl->reload_servers(); !loaded) return loaded.error();
  return std::unique_ptr<Reconciler>(new Reconciler(std::move(impl)));
}

Reconciler::Reconciler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reconciler::~Reconciler() = default;
void Reconciler::run() { impl_->run(); }
void Reconciler::stop() { impl_->stop_.store(true); }
std::string Reconciler::workers_endpoint() const { return bound_endpoint(impl_->workers_); }
std::string Reconciler::control_endpoint() const { return bound_endpoint(impl_->control_); }
std::string Reconciler::events_endpoint() const { return bound_endpoint(impl_->events_); }

}  // namespace ws
