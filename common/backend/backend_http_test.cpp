#include "ws/backend_http.h"

#include <catch2/catch.hpp>

#include <deque>

using namespace ws;
using namespace std::chrono_literals;

namespace {

// Answers from a script and records what it was asked (the transport seam, STYLE 14).
class ScriptedTransport final : public HttpTransport {
 public:
  struct Log {
    std::vector<HttpRequest> requests;
  };
  ScriptedTransport(std::deque<TransportResult> script, std::shared_ptr<Log> log)
      : script_(std::move(script)), log_(std::move(log)) {}
  TransportResult send(const HttpRequest& request) override {
    log_->requests.push_back(request);
    if (script_.empty()) return reply(599, "script exhausted");
    auto next = std::move(script_.front());
    script_.pop_front();
    return next;
  }
  static TransportResult reply(int status, std::string body, std::map<std::string, std::string> headers = {}) {
    TransportResult r;
    r.response.status = status;
    r.response.body = std::move(body);
    r.response.headers = std::move(headers);
    return r;
  }
  static TransportResult failure(TransportFailure kind, std::string detail) {
    TransportResult r;
    r.error = {kind, std::move(detail)};
    return r;
  }

 private:
  std::deque<TransportResult> script_;
  std::shared_ptr<Log> log_;
};

struct Harness {
  std::shared_ptr<ScriptedTransport::Log> log = std::make_shared<ScriptedTransport::Log>();
  std::vector<std::chrono::milliseconds> sleeps;
  std::unique_ptr<BackendHttp> http;

  explicit Harness(std::deque<TransportResult> script, int attempts = 3) {
    RetryPolicy retry;
    retry.max_attempts = attempts;
    retry.base_delay = 100ms;
    retry.max_delay = 5000ms;
    retry.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
    http = std::make_unique<BackendHttp>("my_plex", std::make_unique<ScriptedTransport>(std::move(script), log), retry,
                                         std::vector<std::pair<std::string, std::string>>{{"X-Plex-Token", "s3cret-token"},
                                                                                          {"Accept", "application/json"}},
                                         std::vector<std::string>{"s3cret-token"}, 30s);
  }
};

using T = ScriptedTransport;

}  // namespace

TEST_CASE("a 401 is reported with server, request, status and hint, never the token", "[backend_http]") {
  Harness h({T::reply(401, "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>")});
  auto r = h.http->send(HttpRequest{"GET", "/library/sections?X-Plex-Token=s3cret-token", {}, {}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::unauthorized);
  CHECK_THAT(r.error().message, Catch::StartsWith("my_plex: GET /library/sections?X-Plex-Token=*** → 401 Unauthorized (check the token)"));
  CHECK_THAT(r.error().message, Catch::Contains("<h1>401 Unauthorized</h1>"));
  CHECK_THAT(r.error().message, !Catch::Contains("s3cret"));
  CHECK(h.log->requests.size() == 1);  // a 401 is not retried
  CHECK(h.sleeps.empty());
}

TEST_CASE("default headers are sent and a request's own header replaces a default", "[backend_http]") {
  Harness h({T::reply(200, "{}")});
  REQUIRE(h.http->send(HttpRequest{"GET", "/x", {{"accept", "text/xml"}}, {}}).ok());
  const auto& headers = h.log->requests.at(0).headers;
  CHECK(std::count_if(headers.begin(), headers.end(), [](auto& p) { return p.first == "X-Plex-Token"; }) == 1);
  CHECK(std::count_if(headers.begin(), headers.end(), [](auto& p) { return p.first == "Accept"; }) == 0);
}

TEST_CASE("429 and 5xx are retried with backoff, honouring Retry-After", "[backend_http]") {
  SECTION("429 with Retry-After then success") {
    Harness h({T::reply(429, "slow down", {{"retry-after", "2"}}), T::reply(200, "{\"ok\":true}")});
    auto r = h.http->get_json("/library/sections");
    REQUIRE(r.ok());
    CHECK((*r)["ok"] == true);
    REQUIRE(h.sleeps.size() == 1);
    CHECK(h.sleeps[0] == 2000ms);
    CHECK(h.http->stats().requests == 2);
    CHECK(h.http->stats().retries == 1);
  }
  SECTION("Retry-After is capped by the policy") {
    Harness h({T::reply(503, "", {{"retry-after", "3600"}}), T::reply(200, "{}")});
    REQUIRE(h.http->send(HttpRequest{"GET", "/", {}, {}}).ok());
    CHECK(h.sleeps.at(0) == 5000ms);
  }
  SECTION("exponential backoff without Retry-After, then the last error with the attempt count") {
    Harness h({T::reply(500, "boom"), T::reply(502, "boom"), T::reply(500, "{\"error\":\"server error\"}")});
    auto r = h.http->send(HttpRequest{"GET", "/library/sections/1/all", {}, {}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::unavailable);
    CHECK_THAT(r.error().message, Catch::Contains("→ 500 Internal Server Error") && Catch::Contains("after 3 attempts") &&
                                      Catch::Contains("server error"));
    REQUIRE(h.sleeps.size() == 2);
    CHECK(h.sleeps[0] >= 100ms);
    CHECK(h.sleeps[0] <= 125ms);
    CHECK(h.sleeps[1] >= 200ms);
    CHECK(h.sleeps[1] <= 250ms);
  }
  SECTION("connection errors and timeouts are retried and worded") {
    Harness h({T::failure(TransportFailure::connect, "Couldn't connect to server"),
               T::failure(TransportFailure::timeout, "Timeout was reached")},
              2);
    auto r = h.http->send(HttpRequest{"GET", "/identity", {}, {}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::unavailable);
    CHECK_THAT(r.error().message, Catch::Contains("my_plex: GET /identity → timed out after 30 s"));
    CHECK(h.log->requests.size() == 2);
  }
  SECTION("a 404 is not retried") {
    Harness h({T::reply(404, "")});
    auto r = h.http->send(HttpRequest{"GET", "/library/metadata/9", {}, {}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::not_found);
    CHECK(h.log->requests.size() == 1);
  }
}

TEST_CASE("a truncated JSON body is retried, then reported as corrupt with where it broke", "[backend_http]") {
  SECTION("then success") {
    Harness h({T::reply(200, "{\"Items\":[{\"Id\":"), T::reply(200, "{\"Items\":[]}")});
    REQUIRE(h.http->get_json("/Items").ok());
  }
  SECTION("always truncated") {
    Harness h({T::reply(200, "{\"Items\":[{\"Id\":"), T::reply(200, "{\"Items\":[{\"Id\":")}, 2);
    auto r = h.http->get_json("/Items?api_key=s3cret-token");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::corruption);
    CHECK_THAT(r.error().message, Catch::Contains("not valid JSON") && Catch::Contains("truncated") &&
                                      Catch::Contains("api_key=***") && !Catch::Contains("s3cret"));
  }
}

TEST_CASE("error bodies are cut to about 200 printable bytes without secrets", "[backend_http]") {
  Harness h({});
  const std::string body = "line1\r\nline2 s3cret-token " + std::string(400, 'x');
  const std::string s = h.http->snippet(body);
  CHECK(s.size() < 220);
  CHECK_THAT(s, Catch::StartsWith("line1 line2 *** xxx"));
  CHECK_THAT(s, !Catch::Contains("\n"));
}

TEST_CASE("Retry-After is read as seconds or as an HTTP date", "[backend_http]") {
  CHECK(parse_retry_after("7", 0) == std::chrono::milliseconds(7000));
  CHECK(parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", 40) == std::chrono::milliseconds(60000));
  CHECK_FALSE(parse_retry_after("", 0));
  CHECK_FALSE(parse_retry_after("soon", 0));
}

TEST_CASE("fetch_read reads a body with the fast reader, and with nlohmann (same errors, same retries) when it declines",
          "[backend_http]") {
  int fast_calls = 0, dom_calls = 0;
  std::string dom_seen;
  // The fast reader of this test takes only bodies that start with '{' and mark it: stands for
  // simdjson, which refuses some bodies nlohmann reads.
  const BackendHttp::FastReader fast = [&](std::string& body) {
    ++fast_calls;
    return !body.empty() && body[0] == '{';
  };
  const BackendHttp::DomReader dom = [&](const nlohmann::json& body) {
    ++dom_calls;
    dom_seen = body.dump();
  };
  SECTION("taken by the fast reader: nlohmann never runs, the headers stay, the body is dropped") {
    Harness h({T::reply(200, R"({"a":1})", {{"x-plex-container-total-size", "7"}})});
    auto r = h.http->fetch_read(HttpRequest{"GET", "/x", {}, {}}, fast, dom);
    REQUIRE(r.ok());
    CHECK(fast_calls == 1);
    CHECK(dom_calls == 0);
    CHECK(r->header("x-plex-container-total-size") == "7");
    CHECK(r->body.empty());
  }
  SECTION("declined: nlohmann reads it") {
    Harness h({T::reply(200, " [1,2]")});
    auto r = h.http->fetch_read(HttpRequest{"GET", "/x", {}, {}}, fast, dom);
    REQUIRE(r.ok());
    CHECK(dom_calls == 1);
    CHECK(dom_seen == "[1,2]");
  }
  SECTION("declined and not JSON: retried like send_json, then read on the next attempt") {
    Harness h({T::reply(200, " [1,"), T::reply(200, R"({"b":2})")});
    auto r = h.http->fetch_read(HttpRequest{"GET", "/x", {}, {}}, fast, dom);
    REQUIRE(r.ok());
    CHECK(fast_calls == 2);
    CHECK(dom_calls == 0);
    CHECK(h.sleeps.size() == 1);
  }
  SECTION("declined and beyond a double: the error send_json gives, no retry") {
    Harness h({T::reply(200, " [1e999]"), T::reply(200, " [1e999]")});
    auto r = h.http->fetch_read(HttpRequest{"GET", "/x", {}, {}}, fast, dom);
    Harness reference({T::reply(200, " [1e999]")});
    auto want = reference.http->send_json(HttpRequest{"GET", "/x", {}, {}});
    REQUIRE_FALSE(r.ok());
    REQUIRE_FALSE(want.ok());
    CHECK(r.error().kind == want.error().kind);
    CHECK(r.error().message == want.error().message);
    CHECK(h.log->requests.size() == 1);
    CHECK(dom_calls == 0);
  }
}
