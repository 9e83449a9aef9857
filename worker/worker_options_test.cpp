// The options every job worker shares: their checks name the key at fault, and the JobWorker
// under a worker gets what the flags and config say.
#include "ws/worker_options.h"

#include <catch2/catch.hpp>

namespace {

using namespace std::chrono_literals;

struct TestOptions : ws::WorkerOptions {};
ws::Result<ws::Ok> validate(const TestOptions& options) { return ws::validate_worker_options(options); }

std::string error_of(const ws::WorkerOptions& options) {
  auto valid = ws::validate_worker_options(options);
  return valid ? std::string() : valid.error().message;
}

}  // namespace

TEST_CASE("the defaults are valid, and each wrong option is refused by its key", "[worker_options]") {
  ws::WorkerOptions options;
  CHECK(ws::validate_worker_options(options));
  SECTION("an empty endpoint") {
    options.config.endpoints.workers = "";
    CHECK(error_of(options) == "endpoints.workers: must not be empty");
  }
  SECTION("an endpoint without a transport") {
    options.endpoint = "127.0.0.1:5560";
    CHECK(error_of(options) == "endpoints.workers: '127.0.0.1:5560' is not an endpoint like tcp://HOST:PORT");
  }
  SECTION("a heartbeat under 1 ms") {
    options.heartbeat = 0ms;
    CHECK(error_of(options) == "heartbeat: must be at least 1 ms");
  }
  SECTION("an empty name in --servers") {
    options.servers = {"plex1", ""};
    CHECK(error_of(options) == "--servers: an empty server name");
  }
}

TEST_CASE("the --endpoint flag wins over config.yaml's endpoints.workers", "[worker_options]") {
  ws::WorkerOptions options;
  options.config.endpoints.workers = "tcp://127.0.0.1:5560";
  CHECK(ws::effective_endpoint(options) == "tcp://127.0.0.1:5560");
  options.endpoint = "ipc:///tmp/workers";
  CHECK(ws::effective_endpoint(options) == "ipc:///tmp/workers");
}

TEST_CASE("the JobWorker under a worker gets its endpoint, service, name, servers, heartbeat and size limit",
          "[worker_options]") {
  ws::WorkerOptions options;
  options.endpoint = "inproc://w";
  options.name = "fetcher-a";
  options.servers = {"plex1", "jf1"};
  options.heartbeat = 250ms;
  options.config.endpoints.max_message = 4096;
  const ws::JobWorkerOptions job = ws::job_worker_options(options, ws::protocol::kServiceFetch);
  CHECK(job.endpoint == "inproc://w");
  CHECK(job.service == ws::protocol::kServiceFetch);
  CHECK(job.name == "fetcher-a");
  CHECK(job.servers == std::vector<std::string>{"plex1", "jf1"});
  CHECK(job.heartbeat == 250ms);
  CHECK(job.max_message == 4096);
}

TEST_CASE("checked options throw validate's message, and get a default name", "[worker_options]") {
  TestOptions options;
  SECTION("a default name tells the role and the process") {
    const TestOptions checked = ws::checked_worker_options(options, "exporter");
    CHECK(checked.name.rfind("exporter-", 0) == 0);
    CHECK(checked.name.size() > std::string("exporter-").size());
  }
  SECTION("a given name is kept") {
    options.name = "mine";
    CHECK(ws::checked_worker_options(options, "exporter").name == "mine");
  }
  SECTION("invalid options are a start-up error") {
    options.heartbeat = 0ms;
    CHECK_THROWS_WITH(ws::checked_worker_options(options, "fetcher"), "heartbeat: must be at least 1 ms");
  }
}
