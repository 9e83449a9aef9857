// CURVE for real (DESIGN §9, docs/protocol.md "Security"): a ws-reconciler whose workers and
// control endpoints are tcp on this machine's non-loopback address, so CURVE is on; a ws-fetcher
// with the fetcher keys made by `watchstate config:generate` serves an import that `watchstate`
// enqueues (with the cli keys); a fetcher with a key the reconciler does not know is refused, and
// the reconciler logs that key's fingerprint; a fetcher without its key file does not start.
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <csignal>
#include <fstream>
#include <optional>

#include <catch2/catch.hpp>

#include "e2e_fakes.h"
#include "e2e_harness.h"
#include "e2e_stack.h"
#include "fake_process.h"
#include "ws/curve_keys.h"

namespace {

using namespace ws::e2e;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

// The first IPv4 address of an interface that is up and not loopback; nullopt when there is none.
std::optional<std::string> non_loopback_ipv4() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* a = list; a && !found; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || !(a->ifa_flags & IFF_UP)) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN] = {};
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text)) found = text;
  }
  ::freeifaddrs(list);
  return found;
}

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The Z85 secret key in a key file (the line after the comment).
std::string secret_in(const fs::path& file) {
  const std::string text = read_file(file);
  return text.substr(text.find('\n') + 1, 40);
}

}  // namespace

TEST_CASE("over a non-loopback address CURVE admits the known fetcher and refuses a stranger by fingerprint",
          "[e2e][curve]") {
  const auto address = non_loopback_ipv4();
  if (!address) {
    WARN("skipped: this machine has no non-loopback IPv4 address to listen on");
    return;
  }
  REQUIRE(ws::curve_available());
  auto fakes = FakeSet::start({{"plex", "plex", {"--state-seed", "1", "--watched", "30"}}}, small_catalog());

  DataFolder folder("curve");
  folder.write_servers(fakes.servers());
  int workers_port = ws::fake::free_port(), control_port = ws::fake::free_port();
  while (control_port == workers_port) control_port = ws::fake::free_port();
  const std::string workers = "tcp://" + *address + ":" + std::to_string(workers_port);
  const std::string control = "tcp://" + *address + ":" + std::to_string(control_port);
  const std::string config = "endpoints:\n  workers: '" + workers + "'\n  control: '" + control + "'\n  events: '" +
                             folder.events_endpoint() + "'\n";
  write_file(folder.root() / "config" / "config.yaml", config);

  SECTION("without keys, nothing starts, and each says which key file is missing") {
    auto reconciler = folder.spawn(reconciler_binary(), {}, "reconciler-nokeys");
    auto status = reconciler.wait(20s);
    INFO(reconciler.tail());
    REQUIRE(status);
    CHECK(*status == 1);
    CHECK_THAT(reconciler.err(), Catch::Contains("reconciler.key") && Catch::Contains(workers));

    auto fetcher = folder.spawn(fetcher_binary(), {}, "fetcher-nokeys");
    status = fetcher.wait(20s);
    INFO(fetcher.tail());
    REQUIRE(status);
    CHECK(*status == 1);
    CHECK_THAT(fetcher.err(), Catch::Contains((folder.root() / "config" / "keys" / "fetcher.key").string()));

    auto cli = folder.watchstate({"status"});
    INFO(cli.describe());
    CHECK(cli.exit_code == 1);
    CHECK_THAT(cli.err, Catch::Contains("cli.key"));
  }

  SECTION("with the keys of config:generate") {
    auto generated = folder.watchstate({"config:generate", "--keys-only"});
    INFO(generated.describe());
    REQUIRE(generated.exit_code == 0);
    const fs::path keys = folder.root() / "config" / "keys";

    // A stranger: the keys of another installation, knowing only our reconciler's public key.
    DataFolder stranger("curve-stranger");
    stranger.write_servers(fakes.servers());
    write_file(stranger.root() / "config" / "config.yaml", config);
    REQUIRE(stranger.watchstate({"config:generate", "--keys-only"}).exit_code == 0);
    const fs::path stranger_keys = stranger.root() / "config" / "keys";
    write_file(stranger_keys / "reconciler.pub", read_file(keys / "reconciler.pub"));
    auto stranger_public = ws::load_curve_public_key(stranger_keys, "fetcher");
    REQUIRE(stranger_public.ok());
    const std::string stranger_fingerprint = ws::curve_fingerprint(*stranger_public);

    auto reconciler = folder.spawn(reconciler_binary(), {"-v"}, "reconciler");
    REQUIRE(wait_until([&] { return !reconciler.running() || reconciler.err().find("CURVE on") != std::string::npos; },
                       20s));
    INFO(reconciler.tail());
    REQUIRE(reconciler.running());
    auto fetcher = folder.spawn(fetcher_binary(), {"--name", "known-fetcher", "-vv"}, "fetcher");
    auto intruder = stranger.spawn(fetcher_binary(), {"--name", "stranger-fetcher", "-vv"}, "stranger-fetcher");

    // The stranger is refused, with its key's fingerprint in the reconciler's log.
    const std::string refusal = "refused a client with key fingerprint " + stranger_fingerprint;
    REQUIRE(wait_until([&] { return reconciler.err().find(refusal) != std::string::npos; }, 20s));
    const auto first_refusal = std::chrono::steady_clock::now();
    // ... and the stranger says why it gets no jobs.
    const std::string refused_here = "refused our CURVE key (fingerprint " + stranger_fingerprint + ")";
    CHECK(wait_until([&] { return intruder.err().find(refused_here) != std::string::npos; }, 20s));

    // The known fetcher serves an import that the CLI enqueues over CURVE.
    auto import = folder.watchstate({"state:import", "--output", "json"});
    INFO(import.describe() << fetcher.tail() << intruder.tail());
    REQUIRE(import.exit_code == 0);
    const json reply = import.json();
    CHECK(reply.value("ok", false));
    CHECK(jobs_finished(fetcher) > 0);  // through the reconciler: an embedded run has no fetcher process
    CHECK(jobs_started(intruder) == 0);

    auto status = folder.watchstate({"status", "--output", "json"});
    INFO(status.describe());
    REQUIRE(status.exit_code == 0);
    CHECK(status.json().at("status").value("fetchers", 0) == 1);  // the stranger never got in
    auto stats = folder.watchstate({"db:stats", "--output", "json"});
    REQUIRE(stats.exit_code == 0);

    // The refusal is logged once per key per minute, however often the stranger reconnects.
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(std::chrono::steady_clock::now() - first_refusal);
    size_t lines = 0;
    const std::string log = reconciler.err();
    for (size_t at = log.find(refusal); at != std::string::npos; at = log.find(refusal, at + 1)) ++lines;
    CHECK(lines >= 1);
    CHECK(lines <= 1 + static_cast<size_t>(minutes.count()));

    // No secret key in any log or output.
    for (const char* name : {"reconciler", "fetcher", "cli"}) {
      const std::string secret = secret_in(keys / (std::string(name) + ".key"));
      REQUIRE(secret.size() == 40);
      for (const auto* p : {&reconciler, &fetcher, &intruder})
        CHECK_THAT(p->err() + p->out(), !Catch::Contains(secret));
      CHECK_THAT(import.err + import.out + status.out + generated.out, !Catch::Contains(secret));
    }

    for (auto* p : {&intruder, &fetcher, &reconciler}) {
      p->signal(SIGTERM);
      const auto code = p->wait(10s);
      INFO(p->tail());
      CHECK(code == std::optional<int>(0));
    }
  }
}
