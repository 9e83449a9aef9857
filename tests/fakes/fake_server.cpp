#include "fake_server.h"

#include <chrono>
#include <thread>

#include "fake_time.h"
#include "gzip.h"
#include "webhook_echo.h"

namespace ws::fake {
namespace {

// Generous: "hang" faults hold a worker each, and a benchmark may run many clients.
constexpr size_t kWorkerThreads = 32;
// Set on a Plex request whose client accepts gzip.
constexpr const char* kGzipMark = "X-Ws-Fake-Accepts-Gzip";

std::string_view reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status >= 500 ? "Server Error" : "Client Error";
  }
}

// Token="…" out of a MediaBrowser/Emby authorization header.
std::string token_from_authorization(std::string_view h) {
  for (size_t i = 0; i + 5 < h.size(); ++i) {
    if (!iequals(h.substr(i, 5), "token")) continue;
    if (i > 0 && (std::isalnum(static_cast<unsigned char>(h[i - 1])))) continue;
    size_t j = i + 5;
    while (j < h.size() && h[j] == ' ') ++j;
    if (j >= h.size() || h[j] != '=') continue;
    ++j;
    while (j < h.size() && h[j] == ' ') ++j;
    const bool quoted = j < h.size() && h[j] == '"';
    if (quoted) ++j;
    size_t k = j;
    while (k < h.size() && (quoted ? h[k] != '"' : (h[k] != ',' && h[k] != ' '))) ++k;
    return std::string(h.substr(j, k - j));
  }
  return {};
}

}  // namespace

FakeServer::FakeServer(FakeOptions options)
    : options_(std::move(options)), routes_(options_.type != ServerType::plex) {}

FakeServer::~FakeServer() {
  stop();
  echo_.reset();  // before the catalogue and state its payloads were built from
}

std::string FakeServer::base_url() const { return "http://" + options_.bind + ":" + std::to_string(port_); }

Result<int> FakeServer::bind() {
  if (options_.token.empty()) return make_error(ErrorKind::invalid_input, "--token is required and must not be empty");
  auto spec = parse_fault_spec(options_.fail);
  if (!spec) return spec.error();

  http_.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  // httplib writes the headers and the body of an answer in separate writes; with Nagle on, the
  // body waits for the ACK of the headers, which a keep-alive client delays by ~40 ms, so every
  // answer after a connection's first stalled. Real servers disable Nagle; so do we (set on the
  // listening socket, inherited by accepted sockets on Linux).
  http_.set_tcp_nodelay(true);
  http_.set_keep_alive_max_count(100000);
  http_.set_keep_alive_timeout(5);
  http_.set_payload_max_length(16 * 1024 * 1024);
  if (options_.type == ServerType::plex) {
    // Plex compresses with gzip only, and we compress it ourselves (see gzip.h): hide the
    // client's Accept-Encoding from httplib and remember whether gzip was offered. The request
    // object is not const in httplib, only the view handed to us.
    http_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
      auto& headers = const_cast<httplib::Request&>(req).headers;
      auto it = headers.find("Accept-Encoding");
      if (it != headers.end()) {
        if (it->second.find("gzip") != std::string::npos) headers.emplace(kGzipMark, "1");
        it->second = "identity";
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  http_.Get(".*", handler);
  http_.Post(".*", handler);
  http_.Put(".*", handler);
  http_.Delete(".*", handler);
  http_.Patch(".*", handler);
  http_.Options(".*", handler);

  if (options_.port == 0) {
    port_ = http_.bind_to_any_port(options_.bind);
  } else {
    port_ = http_.bind_to_port(options_.bind, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    return make_error(ErrorKind::unavailable,
                      "cannot listen on " + options_.bind + ":" + std::to_string(options_.port) + " (in use?)");
  }
  if (auto r = finalize_options(options_, port_); !r) return r.error();

  catalog_ = std::make_unique<Catalog>(Catalog::build(options_.catalog, options_.type, options_.server_id,
                                                      Catalog::shape_for(options_.type, options_.split_multi_episode)));
  state_ = std::make_unique<FakeState>(*catalog_, options_.state);
  faults_ = std::make_unique<FaultInjector>(std::move(spec.value()), options_.catalog.seed ^ 0xfa017);
  // Plex sends no webhook for a mark played/unplayed, whoever made it: nothing to echo.
  if (options_.echo_webhooks && options_.type != ServerType::plex) {
    echo_ = std::make_unique<WebhookEcho>(options_.webhook_url);
  }
  if (options_.type == ServerType::plex) {
    add_plex_routes(*this);
  } else {
    add_jellyfin_routes(*this);
  }
  add_control_routes(*this);
  return port_;
}

void FakeServer::run() { http_.listen_after_bind(); }

void FakeServer::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  http_.stop();
}

std::string FakeServer::param(const httplib::Request& req, std::string_view name) const {
  if (options_.type == ServerType::plex) {
    auto it = req.params.find(std::string(name));
    return it == req.params.end() ? std::string{} : it->second;
  }
  for (const auto& [k, v] : req.params) {
    if (iequals(k, name)) return v;
  }
  return {};
}

bool FakeServer::has_param(const httplib::Request& req, std::string_view name) const {
  for (const auto& [k, v] : req.params) {
    if (options_.type == ServerType::plex ? k == name : iequals(k, name)) return true;
  }
  return false;
}

void FakeServer::send_json(httplib::Response& res, std::string body) const {
  res.set_content(std::move(body),
                  options_.type == ServerType::plex ? "application/json" : "application/json; charset=utf-8");
}

void FakeServer::send_error(httplib::Response& res, int status) const {
  res.status = status;
  const std::string r(reason(status));
  if (options_.type == ServerType::plex) {
    res.set_content("<html><head><title>" + r + "</title></head><body><h1>" + std::to_string(status) + " " + r +
                        "</h1></body></html>",
                    "text/html");
  } else if (status == 401) {
    // Jellyfin answers an empty 401; Emby says why.
    if (options_.type == ServerType::emby) res.set_content("Access token is invalid or expired.", "text/plain");
  } else if (status >= 500) {
    res.set_content("Error processing request.", "text/plain");
  } else if (options_.type == ServerType::emby || status == 429) {
    res.set_content(r, "text/plain");
  }
  if (status == 429 || status == 503) res.set_header("Retry-After", "1");
}

bool FakeServer::authorized(const httplib::Request& req) const {
  const std::string& t = options_.token;
  if (options_.type == ServerType::plex) {
    return req.get_header_value("X-Plex-Token") == t || param(req, "X-Plex-Token") == t;
  }
  for (const char* h : {"X-Emby-Token", "X-MediaBrowser-Token"}) {
    if (req.get_header_value(h) == t) return true;
  }
  for (const char* h : {"Authorization", "X-Emby-Authorization"}) {
    if (req.has_header(h) && token_from_authorization(req.get_header_value(h)) == t) return true;
  }
  return param(req, "api_key") == t || param(req, "ApiKey") == t;
}

void FakeServer::hang() {
  std::unique_lock lock(stop_mutex_);
  stop_cv_.wait_for(lock, std::chrono::seconds(options_.hang_seconds), [this] { return stopping_; });
}

void FakeServer::handle(const httplib::Request& req, httplib::Response& res) {
  std::string_view path = req.path;
  if (options_.type == ServerType::emby) {
    for (std::string_view prefix : {"/emby", "/mediabrowser"}) {
      if (path.size() >= prefix.size() && iequals(path.substr(0, prefix.size()), prefix) &&
          (path.size() == prefix.size() || path[prefix.size()] == '/')) {
        path.remove_prefix(prefix.size());
        break;
      }
    }
  }
  if (path.starts_with("/__fake/")) {
    if (auto m = control_.match(req.method, path)) {
      m->route->handler(req, res, m->params);
    } else {
      res.status = 404;
      res.set_content(R"({"error":"no such control route"})", "application/json");
    }
    return;
  }
  if (options_.type == ServerType::plex) res.set_header("X-Plex-Protocol", "1.0");

  auto m = routes_.match(req.method, path);
  if (!m) {
    send_error(res, routes_.path_known(path) ? 405 : 404);
    log_.count("unmatched", res.body.size());
    return;
  }
  const Route& route = *m->route;
  if (route.options.auth && !authorized(req)) {
    send_error(res, 401);
    log_.count(route.name, res.body.size());
    return;
  }
  if (options_.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options_.latency_ms));

  const FaultDecision fault = faults_->next();
  if (fault.any()) log_.count_fault(fault.name());
  if (fault.kind == FaultRule::status && fault.code) {
    send_error(res, fault.code);
    log_.count(route.name, res.body.size());
    return;
  }
  if (fault.kind == FaultRule::hang) {
    hang();  // the client has given up by now
    res.set_header("Connection", "close");
    send_error(res, 504);
    log_.count(route.name, 0);
    return;
  }
  if (route.options.write) {
    WriteRecord w;
    w.method = req.method;
    w.path = std::string(path);
    for (const auto& [k, v] : req.params) {
      // A test token is still a token: the write log never shows it.
      const bool secret = iequals(k, "X-Plex-Token") || iequals(k, "api_key") || iequals(k, "ApiKey");
      w.query.emplace_back(k, secret ? "***" : v);
    }
    w.body = req.body;
    w.at = unix_from_ticks(now_ticks());
    log_.record_write(std::move(w));
  }
  route.handler(req, res, m->params);
  if (fault.kind == FaultRule::truncate && res.body.size() > 1) res.body.resize(res.body.size() / 2);
  log_.count(route.name, res.body.size());
  if (req.has_header(kGzipMark) && !res.body.empty()) {
    if (auto gz = gzip_fast(res.body)) {
      res.body = std::move(*gz);
      res.set_header("Content-Encoding", "gzip");
      res.set_header("Vary", "Accept-Encoding");
    }
  }
}

}  // namespace ws::fake
