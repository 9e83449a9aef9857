// One fake media server: a Plex, Jellyfin or Emby look-alike serving a generated catalogue over
// HTTP on loopback, for tests, benchmarks and the demo (never the product).
//
// Life cycle: construct with options, bind() (which also builds the catalogue and the routes),
// run() on one thread until stop() from another. Every server request passes through one
// dispatcher that matches the route (case-insensitively on Jellyfin and Emby; /emby/ prefix on
// Emby), checks the token, adds --latency-ms, injects --fail faults, records writes and counts
// stats. /__fake/* control routes bypass all of that.
// Thread safety: handlers run on httplib's thread pool; catalog() is immutable, state(), log()
// and faults() are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

#include "catalog.h"
#include "fake_options.h"
#include "fake_state.h"
#include "fault_injector.h"
#include "request_log.h"
#include "router.h"
#include "ws/result.h"

namespace ws::fake {

class WebhookEcho;

class FakeServer {
 public:
  explicit FakeServer(FakeOptions options);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  // Validates the options, binds the listening socket (port 0: any free port) and builds the
  // catalogue and routes. Returns the bound port, or an error naming the flag or the address.
  Result<int> bind();
  // Serves until stop(). REQUIRES: bind() succeeded.
  void run();
  // Stops serving; wakes requests held by a "hang" fault. Any thread (not a signal handler).
  void stop();

  // For the route files.
  const FakeOptions& options() const { return options_; }
  ServerType type() const { return options_.type; }
  const Catalog& catalog() const { return *catalog_; }
  FakeState& state() { return *state_; }
  RequestLog& log() { return log_; }
  FaultInjector& faults() { return *faults_; }
  Router& routes() { return routes_; }
  Router& control_routes() { return control_; }
  // The echo of API writes (--echo-webhooks, Jellyfin and Emby only), or nullptr.
  WebhookEcho* echo() { return echo_.get(); }
  int port() const { return port_; }
  std::string base_url() const;

  // A query parameter; case-insensitive names on Jellyfin and Emby. Empty if absent.
  std::string param(const httplib::Request& req, std::string_view name) const;
  bool has_param(const httplib::Request& req, std::string_view name) const;

  // Sets the body with this server's content type for JSON (Plex "application/json", Jellyfin
  // and Emby "application/json; charset=utf-8").
  void send_json(httplib::Response& res, std::string body) const;
  // A plain error page in this server's style (Plex: HTML; Jellyfin/Emby: text).
  void send_error(httplib::Response& res, int status) const;

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  bool authorized(const httplib::Request& req) const;
  void hang();

  FakeOptions options_;
  int port_ = 0;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<FakeState> state_;
  std::unique_ptr<FaultInjector> faults_;
  RequestLog log_;
  Router routes_;
  Router control_{false};
  httplib::Server http_;
  std::unique_ptr<WebhookEcho> echo_;

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

// Route registration, one file per server family.
void add_plex_routes(FakeServer& server);
void add_jellyfin_routes(FakeServer& server);  // Jellyfin and Emby (differences keyed on type)
void add_control_routes(FakeServer& server);

}  // namespace ws::fake
