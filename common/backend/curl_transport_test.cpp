// The libcurl transport against a real HTTP server on 127.0.0.1 port 0.
#include "ws/http_transport.h"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace ws;
using namespace std::chrono_literals;

namespace {

class LocalServer {
 public:
  LocalServer() {
    server_.Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      ports_.push_back(req.remote_port);
      res.set_header("X-Plex-Container-Total-Size", "42");
      res.set_content(std::string(5000, 'a'), "application/json");  // compressed when the client accepts gzip
      last_accept_encoding_ = req.get_header_value("Accept-Encoding");
    });
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.method + " " + req.get_header_value("Content-Type") + " " + req.body, "text/plain");
    });
    server_.Delete("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.method + " " + req.target, "text/plain");
    });
    server_.Get("/hang", [this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock lock(mutex_);
      released_.wait_for(lock, 5s, [this] { return release_; });
      res.set_content("late", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  }
  ~LocalServer() {
    {
      std::lock_guard lock(mutex_);
      release_ = true;
    }
    released_.notify_all();
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<int> ports_;
  std::string last_accept_encoding_;

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable released_;
  bool release_ = false;
};

TransportOptions options_for(const std::string& url) {
  TransportOptions o;
  o.base_url = url;
  o.connect_timeout = 2000ms;
  o.total_timeout = 3000ms;
  return o;
}

}  // namespace

TEST_CASE("the curl transport reuses its connection and decodes gzip", "[curl_transport]") {
  LocalServer server;
  auto transport = make_curl_transport(options_for(server.url()));
  for (int i = 0; i < 3; ++i) {
    auto r = transport->send(HttpRequest{"GET", "/hello", {{"X-Test", "1"}}, {}});
    REQUIRE(r.ok());
    CHECK(r.response.status == 200);
    CHECK(r.response.body == std::string(5000, 'a'));
    CHECK(r.response.header("x-plex-container-total-size") == "42");
  }
  REQUIRE(server.ports_.size() == 3);
  CHECK(server.ports_[0] == server.ports_[1]);  // keep-alive: the same client port
  CHECK(server.ports_[1] == server.ports_[2]);
  CHECK_THAT(server.last_accept_encoding_, Catch::Contains("gzip"));
}

TEST_CASE("the curl transport sends POST bodies and DELETE", "[curl_transport]") {
  LocalServer server;
  auto transport = make_curl_transport(options_for(server.url()));
  auto post = transport->send(HttpRequest{"POST", "/echo", {{"Content-Type", "application/json"}}, "{\"a\":1}"});
  REQUIRE(post.ok());
  CHECK(post.response.body == "POST application/json {\"a\":1}");
  auto del = transport->send(HttpRequest{"DELETE", "/echo?userId=u", {}, {}});
  REQUIRE(del.ok());
  CHECK(del.response.body == "DELETE /echo?userId=u");
}

TEST_CASE("the curl transport reports timeouts and refused connections as such", "[curl_transport]") {
  SECTION("a hang hits the total timeout") {
    LocalServer server;
    auto o = options_for(server.url());
    o.total_timeout = 300ms;
    auto transport = make_curl_transport(o);
    const auto start = std::chrono::steady_clock::now();
    auto r = transport->send(HttpRequest{"GET", "/hang", {}, {}});
    CHECK(r.error.kind == TransportFailure::timeout);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
  }
  SECTION("nothing listening") {
    std::string url;
    {
      LocalServer gone;  // a port that was free a moment ago and is closed now
      url = gone.url();
    }
    auto transport = make_curl_transport(options_for(url));
    auto r = transport->send(HttpRequest{"GET", "/hello", {}, {}});
    CHECK(r.error.kind == TransportFailure::connect);
    CHECK_FALSE(r.error.detail.empty());
  }
}
