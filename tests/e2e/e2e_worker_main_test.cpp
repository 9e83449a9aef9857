// The real ws-fetcher and ws-exporter binaries at their edges: what a user sees when a worker
// cannot start, and that a signal stops one cleanly. No reconciler is needed: a worker waits for
// its broker.
#include <csignal>

#include <catch2/catch.hpp>

#include "e2e_harness.h"

namespace {

using namespace ws::e2e;
using namespace std::chrono_literals;

struct Worker {
  std::string binary;
  std::string program;
  std::string doing;
};

std::vector<Worker> workers() {
  return {{fetcher_binary(), "ws-fetcher", "fetching"}, {exporter_binary(), "ws-exporter", "exporting"}};
}

}  // namespace

TEST_CASE("a worker that cannot start exits 1 with one line saying why", "[e2e][worker_main]") {
  for (const Worker& w : workers()) {
    DYNAMIC_SECTION(w.program) {
      DataFolder folder("worker-main");
      folder.write_config();
      std::string expected;
      std::vector<std::string> args;
      SECTION("an option its checks refuse") {
        args = {"--endpoint", "127.0.0.1:5560"};
        expected = w.program + ": endpoints.workers: '127.0.0.1:5560' is not an endpoint like tcp://HOST:PORT";
      }
      SECTION("an endpoint ZeroMQ refuses (thrown while starting)") {
        // On loopback: an endpoint off loopback would first need the CURVE keys (e2e_curve_test).
        args = {"--endpoint", "tcp://127.0.0.1:no-port"};
        expected = w.program + ": endpoints.workers: cannot connect to 'tcp://127.0.0.1:no-port'";
      }
      SECTION("a config.yaml it cannot read") {
        folder.write_config("page_size: many\n");
        expected = w.program + ": ";
      }
      Process p = folder.spawn(w.binary, args, w.program);
      const auto status = p.wait(10s);
      INFO(p.tail());
      REQUIRE(status);
      CHECK(*status == 1);
      CHECK(p.err().find(expected) != std::string::npos);
    }
  }
}

TEST_CASE("SIGTERM stops a waiting worker, which exits 0", "[e2e][worker_main]") {
  for (const Worker& w : workers()) {
    DYNAMIC_SECTION(w.program) {
      DataFolder folder("worker-main");
      folder.write_config();
      Process p = folder.spawn(w.binary, {"-v"}, w.program);
      INFO(p.tail());
      REQUIRE(wait_until([&] { return p.err().find(w.doing + " for ") != std::string::npos; }, 10s));
      p.signal(SIGTERM);
      const auto status = p.wait(10s);
      REQUIRE(status);
      CHECK(*status == 0);
      CHECK(p.err().find(": stopped") != std::string::npos);
    }
  }
}
