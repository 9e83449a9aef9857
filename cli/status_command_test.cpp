// `watchstate status` against a real reconciler (an embedded stack bound on tcp, as `serve` runs
// it) and against an endpoint nobody listens on.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli_testutil.h"
#include "ws/embedded_stack.h"

using namespace ws;
using ws::testing::DataDir;
using ws::testing::run;

namespace {

// WS_ENDPOINTS_CONTROL for the test's lifetime. Set it before a stack's threads start and unset it
// after they end: setenv/unsetenv race with getenv in other threads (config loading reads WS_*).
struct ControlEndpointEnv {
  explicit ControlEndpointEnv(const std::string& endpoint) { ::setenv("WS_ENDPOINTS_CONTROL", endpoint.c_str(), 1); }
  ~ControlEndpointEnv() { ::unsetenv("WS_ENDPOINTS_CONTROL"); }
};

// An embedded stack bound on tcp (as `serve` runs it), on ports the system picks; the control
// endpoint may be given (one known before the stack starts).
std::unique_ptr<EmbeddedStack> start_tcp_stack(const DataDir& data, int fetchers,
                                               const std::string& control = "tcp://127.0.0.1:*") {
  EmbeddedStackOptions so;
  so.paths = DataPaths{data.path};
  so.use_config_endpoints = true;
  so.config.endpoints.workers = "tcp://127.0.0.1:*";
  so.config.endpoints.events = "tcp://127.0.0.1:*";
  so.config.endpoints.control = control;
  so.fetchers = fetchers;
  auto stack = EmbeddedStack::start(so);
  if (!stack) FAIL("embedded stack: " << stack.error().message);
  return std::move(stack.value());
}

}  // namespace

TEST_CASE("status fails with the endpoint's name when no reconciler answers", "[cli]") {
  DataDir data;
  // A port taken from a stack that has stopped: nothing listens there any more.
  const std::string endpoint = start_tcp_stack(data, 1)->control_endpoint();
  ControlEndpointEnv env(endpoint);
  auto status = run({"status", "--timeout", "2"});
  CHECK(status.code == 1);
  CHECK_THAT(status.err, Catch::Contains("no reconciler answers at " + endpoint));
}

TEST_CASE("status shows a running reconciler's workers, as text and as JSON", "[cli]") {
  DataDir data;
  // An ipc endpoint, known before the stack starts, so that the environment is set before its
  // threads run (an ASan run once aborted here with the variable set while they did).
  const std::string endpoint = "ipc://" + (data.path / "control.ipc").string();
  ControlEndpointEnv env(endpoint);
  auto stack = start_tcp_stack(data, 2, endpoint);
  REQUIRE(stack->control_endpoint() == endpoint);

  // The workers say worker.ready when they connect: wait until the reconciler counts them.
  nlohmann::json status;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto json = run({"status", "--output", "json"});
    INFO(json.err);
    REQUIRE(json.code == 0);
    status = nlohmann::json::parse(json.out);
    if (status["status"].value("fetchers", 0) == 2 && status["status"].value("exporters", 0) == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(status["endpoint"] == stack->control_endpoint());
  CHECK(status["status"]["fetchers"] == 2);
  CHECK(status["status"]["exporters"] == 1);
  CHECK(status["status"]["running"] == "");

  auto text = run({"status"});
  INFO(text.err);
  REQUIRE(text.code == 0);
  CHECK_THAT(text.out, Catch::Contains(stack->control_endpoint()));
  CHECK_THAT(text.out, Catch::Contains("idle"));
  CHECK_THAT(text.out, Catch::Contains("fetchers") && Catch::Contains("2"));
}
