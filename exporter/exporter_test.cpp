// ws-exporter as a library, with the test playing the broker and a transport seam in place of a
// server: a job that fails fails alone, and the exporter keeps serving.
#include "ws/exporter.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "config_test_util.h"
#include "worker_testutil.h"

namespace {

using nlohmann::json;

// A transport that throws (a bug below the exporter) while `throws` is set, else reports that
// nothing listens.
struct SwitchableTransport : ws::HttpTransport {
  std::shared_ptr<std::atomic<bool>> throws;
  explicit SwitchableTransport(std::shared_ptr<std::atomic<bool>> t) : throws(std::move(t)) {}
  ws::TransportResult send(const ws::HttpRequest&) override {
    if (throws->load()) throw std::runtime_error("transport bug");
    ws::TransportResult r;
    r.error = {ws::TransportFailure::connect, "connection refused"};
    return r;
  }
};

json play_actions(int count) {
  json actions = json::array();
  for (int i = 0; i < count; ++i)
    actions.push_back({{"key", "k" + std::to_string(i)},
                       {"action", "play"},
                       {"item", {{"item_id", "item" + std::to_string(i)}, {"type", "movie"}}}});
  return actions;
}

}  // namespace

TEST_CASE("an action that throws fails alone, and the exporter serves the next job", "[exporter]") {
  ws::testing::TempDir dir;
  ws::ExporterOptions options;
  options.paths = ws::DataPaths{dir.path};
  std::filesystem::create_directories(options.paths.config_dir());
  std::ofstream(options.paths.servers_file()) << "p1:\n  type: plex\n  url: 'http://127.0.0.1:9'\n  token: 't'\n";
  auto throws = std::make_shared<std::atomic<bool>>(true);
  options.backend.transport_factory = [throws](const ws::TransportOptions&) {
    return std::make_unique<SwitchableTransport>(throws);
  };
  options.backend.retry.max_attempts = 1;
  options.config.export_concurrency = 4;  // the actions run on helper threads too

  zmq::context_t ctx;
  ws::testing::TestBroker broker(ctx);
  options.endpoint = broker.endpoint;
  options.name = "test-exporter";
  ws::Exporter exporter(ctx, options);
  ws::testing::Running<ws::Exporter> running(exporter);
  REQUIRE(broker.expect(ws::protocol::kWorkerReady));

  broker.send(ws::protocol::kJobExport, {{"job", "e1"}, {"attempt", 1}, {"server", "p1"}, {"actions", play_actions(5)}});
  auto answer = broker.next();
  REQUIRE(answer);
  INFO(answer->body.dump());
  REQUIRE(answer->type == ws::protocol::kJobDone);
  CHECK(answer->body["result"]["done"].empty());
  REQUIRE(answer->body["result"]["failed"].size() == 5);
  for (const auto& failed : answer->body["result"]["failed"]) CHECK(failed["error"] == "internal error: transport bug");

  throws->store(false);
  broker.send(ws::protocol::kJobExport, {{"job", "e2"}, {"attempt", 1}, {"server", "p1"}, {"actions", play_actions(2)}});
  answer = broker.next();
  REQUIRE(answer);
  INFO(answer->body.dump());
  REQUIRE(answer->type == ws::protocol::kJobFailed);  // unreachable for every action: worth another attempt
  CHECK(answer->body["job"] == "e2");
  CHECK(answer->body["retryable"] == true);
}
