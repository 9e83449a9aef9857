#include "ws/ingest.h"

#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "ws/curve_keys.h"
#include "ws/logging.h"
#include "ws/webhook_intake.h"

namespace ws {
namespace {

using Clock = std::chrono::steady_clock;

// A refused request's body is read and dropped up to this many times webhook.max_body, so that
// a sender writing its whole body before reading gets the answer; past it the connection is
// closed. Senders asking `Expect: 100-continue` get the refusal before they send anything.
constexpr size_t kDiscardFactor = 16;
// How long a webhook:test request waits for the reconciler (a one-item fetch may come first).
constexpr std::chrono::milliseconds kDryRunTimeout{30000};

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string lowercase(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The request line and headers as the intake sees them.
IntakeRequest head_of(const httplib::Request& req) {
  IntakeRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [name, value] : req.params) r.query.emplace(lowercase(name), value);  // first wins
  for (const auto& [name, value] : req.headers) r.headers.emplace(lowercase(name), value);
  if (req.has_header("Content-Length")) {
    const std::string text = req.get_header_value("Content-Length");
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size()) r.content_length = n;
  }
  r.received_at = unix_ms() / 1000;
  return r;
}

std::optional<std::filesystem::file_time_type> mtime_of(const std::filesystem::path& file) {
  std::error_code ec;
  auto t = std::filesystem::last_write_time(file, ec);
  if (ec) return std::nullopt;
  return t;
}

}  // namespace

struct Ingest::Impl {
  Impl(zmq::context_t& context, IngestOptions opts, std::unique_ptr<Spool> s)
      : options(std::move(opts)), spool(std::move(s)), forwarder(context, *spool, metrics, forwarder_options()) {}

  ForwarderOptions forwarder_options() const {
    ForwarderOptions f;
    f.endpoint = options.events();
    f.window = options.window;
    f.max_attempts = options.config.webhook.max_attempts;
    f.retry_base = options.retry_base;
    f.retry_max = options.retry_max;
    f.heartbeat = options.heartbeat;
    f.ack_timeout = options.ack_timeout;
    f.max_message = options.config.endpoints.max_message;
    f.curve = options.curve;
    return f;
  }

  IngestOptions options;
  std::unique_ptr<Spool> spool;
  IngestMetrics metrics;
  EventForwarder forwarder;
  httplib::Server server;
  std::string host;
  int port = 0;

  std::mutex mu;  // guards what follows
  std::shared_ptr<const WebhookSenders> senders;
  std::optional<std::filesystem::file_time_type> servers_mtime;
  Clock::time_point servers_checked{};
  std::map<std::string, Clock::time_point> hints_logged;
  bool running = false;
  bool stopping = false;

  Result<Ok> load_senders() {
    auto servers = load_servers(options.paths.servers_file());
    if (!servers) return servers.error();
    for (const auto& w : servers->warnings) spdlog::warn("{}", w.message);
    add_log_secrets(secrets_of(*servers));
    auto fresh = std::make_shared<const WebhookSenders>(options.config.webhook.apikey, std::move(servers.value()));
    if (!fresh->has_keys())
      spdlog::warn("ingest: no webhook key is configured (webhook.apikey, or a server's webhook.token): every "
                   "webhook is refused with 401; run `watchstate config:generate`");
    std::lock_guard lock(mu);
    senders = std::move(fresh);
    return Ok{};
  }

  // The senders, reloaded when servers.yaml changed since the last look.
  std::shared_ptr<const WebhookSenders> current_senders() {
    const auto file = options.paths.servers_file();
    {
      std::lock_guard lock(mu);
      const auto now = Clock::now();
      if (now - servers_checked < options.servers_reload) return senders;
      servers_checked = now;
      const auto mtime = mtime_of(file);
      if (mtime == servers_mtime) return senders;
      servers_mtime = mtime;
    }
    if (auto ok = load_senders(); !ok) {
      spdlog::error("ingest: {} (keeping the servers read before)", ok.error().message);
    } else {
      spdlog::info("ingest: read {} again", file.string());
    }
    std::lock_guard lock(mu);
    return senders;
  }

  // A hint (run servers:test) at most once a minute per text: a guest watching a series must not
  // flood the log.
  void log_hint(const std::string& hint) {
    if (hint.empty()) return;
    {
      std::lock_guard lock(mu);
      auto& last = hints_logged[hint];
      const auto now = Clock::now();
      if (last != Clock::time_point{} && now - last < std::chrono::minutes(1)) return;
      last = now;
    }
    spdlog::warn("ingest: {}", hint);
  }

  void respond(httplib::Response& res, const IntakeDecision& d) {
    res.status = d.status;
    res.set_header("X-Status", d.x_status);
    res.set_content(d.x_status + "\n", "text/plain; charset=utf-8");
    metrics.count_request(d.type, d.status);
  }

  // `webhook:test` (docs/protocol.md "Events", `dry_run`): `?dry_run=1` or `X-Dry-Run: 1`.
  static bool is_dry_run(const IntakeRequest& request) {
    auto flag = [](const std::map<std::string, std::string>& m, const char* key) {
      auto it = m.find(key);
      return it != m.end() && (it->second == "1" || it->second == "true");
    };
    return flag(request.query, "dry_run") || flag(request.headers, "x-dry-run");
  }

  // A test event passed every check: the reconciler maps it and commits nothing; never spooled.
  // 200 with {server, event, decision}; 502 when the reconciler refused it, 504 without answer.
  void answer_dry_run(httplib::Response& res, const AcceptedEvent& accepted) {
    nlohmann::json event;
    to_json(event, accepted.event);
    nlohmann::json out = {{"server", accepted.server}, {"event", event}};
    auto ack = forwarder.dry_run(accepted.server, event, accepted.received_at, kDryRunTimeout);
    if (!ack) {
      res.status = 504;
      out["error"] = ack.error().message;
    } else if (!ack->value("ok", false)) {
      res.status = 502;
      out["error"] = ack->value("error", std::string("refused"));
    } else {
      res.status = 200;
      out["decision"] = ack->value("decision", nlohmann::json::object());
    }
    res.set_header("X-Status", res.status == 200 ? "dry_run: the reconciler's decision is in the body"
                                                 : "dry_run: " + header_safe(out.value("error", "")));
    res.set_content(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
    spdlog::info("ingest: test event for {} answered {}", accepted.server, res.status);
  }

  void handle_post(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    const auto started = Clock::now();
    IntakeRequest request = head_of(req);
    const size_t max_body = options.config.webhook.max_body;
    auto senders_now = current_senders();
    IntakeDecision head = check_head(request, *senders_now, max_body);
    if (head.status != 0) {
      // A refused body is read and dropped (never kept) so the sender, which writes all of it
      // before it reads an answer, gets the answer; past kDiscardFactor x max_body the connection
      // is closed instead.
      if (request.content_length && *request.content_length <= kDiscardFactor * max_body) {
        auto& raw = const_cast<httplib::Request&>(req);  // see below: bytes, not parts
        raw.headers.erase("Content-Type");
        reader([](const char*, size_t) { return true; });
      } else {
        res.set_header("Connection", "close");
      }
      respond(res, head);
      return;
    }
    // httplib parses multipart/form-data bodies itself and would hand over parts, not bytes; the
    // webhook parsers read the raw body (webhook_parser.h). httplib looks at Content-Type only
    // when the body is read, so it is hidden here; the intake keeps the original. (The request
    // object is not const: httplib owns it and passes it as const&.)
    auto& raw = const_cast<httplib::Request&>(req);
    raw.headers.erase("Content-Type");
    raw.headers.emplace("Content-Type", "application/octet-stream");
    size_t dropped = 0;
    reader([&request, &dropped, max_body](const char* data, size_t size) {
      if (request.body_too_long || request.body.size() + size > max_body) {
        request.body_too_long = true;  // the rest is read and dropped, up to a bound
        dropped += size;
        return dropped <= kDiscardFactor * max_body;
      }
      request.body.append(data, size);
      return true;
    });
    if (request.body_too_long) res.set_header("Connection", "close");
    IntakeDecision d = decide(request, *senders_now, max_body);
    log_hint(d.log_hint);
    if (d.status == 202 && d.accepted && is_dry_run(request)) {
      answer_dry_run(res, *d.accepted);
      return;
    }
    if (d.status == 202 && d.accepted) {
      SpoolRecord record;
      record.server = d.accepted->server;
      record.received_at = d.accepted->received_at;
      record.accepted_ms = unix_ms();
      to_json(record.event, d.accepted->event);
      auto id = spool->append(std::move(record));
      if (!id) {
        const bool full = id.error().kind == ErrorKind::unavailable;
        d.status = 503;
        d.x_status = header_safe((full ? "spool_full: " : "spool_unwritable: ") + id.error().message);
        res.set_header("Retry-After", full ? "5" : "30");
        if (!full) spdlog::error("ingest: {}", id.error().message);
      } else {
        metrics.spool_commit.observe(std::chrono::duration<double>(Clock::now() - started).count());
        d.x_status = header_safe(d.x_status + " (spool id " + std::to_string(*id) + ")");
        spdlog::debug("ingest: {}", d.x_status);
      }
    } else if (d.status == 200) {
      // Servers send many events that are not about watch state: those only at debug.
      if (d.ignored == IgnoreReason::event_not_used) {
        spdlog::debug("ingest: ignored: {}", d.x_status);
      } else {
        spdlog::info("ingest: ignored: {}", d.x_status);
      }
    } else {
      spdlog::info("ingest: answered {}: {}", d.status, d.x_status);
    }
    respond(res, d);
  }

  IngestGauges gauges() const {
    IngestGauges g;
    g.spool_depth = spool->depth();
    g.spool_max = spool->max_events();
    g.spool_failed = spool->failed_count();
    g.spool_writable = spool->writable();
    const auto fs = forwarder.status();
    g.reconciler_connected = fs.connected;
    g.in_flight = fs.in_flight;
    return g;
  }

  void handle_healthz(httplib::Response& res) {
    const auto fs = forwarder.status();
    const bool writable = spool->writable();
    nlohmann::json spool_json = {{"depth", spool->depth()},
                                 {"max", spool->max_events()},
                                 {"failed", spool->failed_count()},
                                 {"writable", writable}};
    if (!writable) spool_json["error"] = spool->last_write_error();
    auto at = [](int64_t ms) { return ms > 0 ? nlohmann::json(ms / 1000) : nlohmann::json(nullptr); };
    nlohmann::json body = {
        {"ok", writable},
        {"spool", spool_json},
        {"reconciler",
         {{"endpoint", options.events()},
          {"connected", fs.connected},
          {"last_ack_at", at(fs.last_ack_at)},
          {"last_heard_at", at(fs.last_heard_at)},
          {"reconnects", fs.reconnects},
          // From the reconciler's heartbeats (`store {ok, error}`); null until one says.
          {"store_failed", fs.store_failed ? nlohmann::json(*fs.store_failed) : nlohmann::json(nullptr)},
          {"store_error", fs.store_error}}},
        {"in_flight", fs.in_flight},
        {"waiting_retry", fs.waiting_retry}};
    res.status = writable ? 200 : 503;
    res.set_content(body.dump() + "\n", "application/json");
  }
};

Result<std::unique_ptr<Ingest>> Ingest::create(zmq::context_t& context, IngestOptions options) {
  if (auto ok = validate(options); !ok) return ok.error();
  auto curve = curve_client_keys(options.events(), options.paths.keys_dir(), curve_role::kIngest);
  if (!curve) return curve.error();
  options.curve = std::move(*curve);
  auto listen = parse_listen(options.config.webhook.listen);
  if (!listen) return listen.error();
  SpoolOptions so;
  so.max_events = options.config.webhook.spool_max;
  if (options.spool_map_size > 0) so.map_size = options.spool_map_size;
  auto spool = Spool::open(options.paths.spool_dir(), so);
  if (!spool) return spool.error();
  auto impl = std::make_unique<Impl>(context, std::move(options), std::move(spool.value()));
  Impl* p = impl.get();
  p->spool->set_commit_listener([p] { p->forwarder.wake(); });
  if (auto ok = p->load_senders(); !ok) return ok.error();
  p->servers_mtime = mtime_of(p->options.paths.servers_file());
  p->servers_checked = Clock::now();

  auto& server = p->server;
  const int threads = p->options.http_threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000);
  server.set_read_timeout(10, 0);
  server.Get("/healthz", [p](const httplib::Request&, httplib::Response& res) { p->handle_healthz(res); });
  server.Get("/metrics", [p](const httplib::Request&, httplib::Response& res) {
    res.set_content(p->metrics.render(p->gauges()), "text/plain; version=0.0.4");
  });
  server.Post(".*", [p](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    try {
      p->handle_post(req, res, reader);
    } catch (const std::exception& e) {
      // A bug, not the sender's fault; httplib would put e.what() in a response header.
      spdlog::error("ingest: internal error on a webhook: {}", e.what());
      IntakeDecision d;
      d.status = 500;
      d.x_status = "internal_error: see the ingest log";
      p->respond(res, d);
    }
  });
  // Refused before a byte of the body is sent, for senders that ask first (curl does for large
  // bodies).
  server.set_expect_100_continue_handler([p](const httplib::Request& req, httplib::Response& res) {
    const std::string method = req.method;
    if (method != "POST") return 100;
    IntakeDecision head = check_head(head_of(req), *p->current_senders(), p->options.config.webhook.max_body);
    if (head.status == 0) return 100;
    res.status = head.status;  // httplib writes res.status, not what this returns
    res.set_header("X-Status", head.x_status);
    res.set_header("Connection", "close");
    res.set_content(head.x_status + "\n", "text/plain; charset=utf-8");
    p->metrics.count_request(head.type, head.status);
    return head.status;
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      const std::string text = res.status == 404 ? "not_found: webhooks are POSTed; GET /healthz or /metrics"
                                                 : "error: " + std::to_string(res.status);
      res.set_header("X-Status", text);
      res.set_content(text + "\n", "text/plain");
    }
  });

  // httplib listens with a backlog of 5: a burst of senders each opening a connection (Plex,
  // Jellyfin and Emby post every webhook on a new one) would see SYNs dropped and a 1 s retry
  // whenever the accept thread is late. The listening socket is remembered here and its backlog
  // raised after the bind (listen() may be called again on a listening socket).
  auto listening_fd = std::make_shared<int>(-1);
  server.set_socket_options([listening_fd](socket_t sock) {
    httplib::default_socket_options(sock);
    *listening_fd = sock;
  });
  p->host = listen->host.empty() ? "0.0.0.0" : listen->host;
  if (listen->port == 0) {
    p->port = server.bind_to_any_port(p->host);
    if (p->port <= 0)
      return make_error(ErrorKind::unavailable, "webhook.listen: cannot bind " + p->host + " to any port");
  } else {
    if (!server.bind_to_port(p->host, listen->port))
      return make_error(ErrorKind::unavailable, "webhook.listen: cannot bind " + p->options.config.webhook.listen +
                                                    " (in use, or not an address of this machine)");
    p->port = listen->port;
  }
  if (*listening_fd >= 0) ::listen(*listening_fd, SOMAXCONN);
  spdlog::info("ingest: listening on {}:{}; spool {} ({} pending, {} failed); events to {}", p->host, p->port,
               p->spool->dir().string(), p->spool->depth(), p->spool->failed_count(), p->options.events());
  return std::unique_ptr<Ingest>(new Ingest(std::move(impl)));
}

Ingest::Ingest(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Ingest::~Ingest() { stop(); }

int Ingest::listening_port() const { return impl_->port; }

std::string Ingest::base_url() const {
  const std::string& h = impl_->host;
  const std::string host = (h == "0.0.0.0" || h == "::" || h.empty()) ? "127.0.0.1" : h;
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(impl_->port);
}

void Ingest::run() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->running = true;
  }
  std::thread forwarder([this] { impl_->forwarder.run(); });
  impl_->server.listen_after_bind();
  impl_->forwarder.stop();
  forwarder.join();
  std::lock_guard lock(impl_->mu);
  impl_->running = false;
}

void Ingest::stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->forwarder.stop();
  // httplib's stop() does nothing until listen_after_bind() has started: wait for that, or for
  // run() to have returned (or never started).
  for (;;) {
    {
      std::lock_guard lock(impl_->mu);
      if (!impl_->running) break;
    }
    if (impl_->server.is_running()) {
      impl_->server.stop();
      break;
    }
    std::this_thread::yield();
  }
}

const Spool& Ingest::spool() const { return *impl_->spool; }
ForwarderStatus Ingest::forwarder_status() const { return impl_->forwarder.status(); }
const IngestMetrics& Ingest::metrics() const { return impl_->metrics; }

}  // namespace ws
