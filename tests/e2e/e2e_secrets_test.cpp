// Secrets end to end (issue 7): the real ws-reconciler registers the tokens and the webhook key
// it loads, and so does the CLI that talks to it, so a secret that reaches a message is *** in
// the reconciler's log and in the CLI's error alike.
#include <catch2/catch.hpp>

#include "e2e_harness.h"

using namespace ws::e2e;
using namespace std::chrono_literals;

TEST_CASE("ws-reconciler and the CLI print *** where a token or the webhook key would be", "[e2e][secrets]") {
  const std::string token = "jf-token-never-printed";
  const std::string key = "webhook-key-never-printed";
  DataFolder folder("secrets");
  folder.write_servers({{"jf1", "jellyfin", "http://127.0.0.1:1", token, "u1", ""}});
  folder.write_config("webhook:\n  apikey: '" + key + "'\n");
  Process reconciler = folder.spawn(reconciler_binary(), {}, "reconciler");
  REQUIRE(wait_until([&] { return !reconciler.running() || tcp_listening(folder.control_port()); }, 20s));
  REQUIRE(reconciler.running());

  // A server "named" like a secret: the reconciler's refusal quotes the name it was given.
  for (const auto& secret : {token, key}) {
    INFO(secret);
    auto refused = folder.watchstate({"enqueue", "import", "-s", secret});
    INFO(refused.describe());
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("unknown server '***'"));
    CHECK_THAT(refused.out + refused.err, !Catch::Contains(secret));
  }
  REQUIRE(wait_until([&] { return reconciler.err().find("unknown server") != std::string::npos; }, 10s));
  reconciler.stop();
  INFO(reconciler.tail());
  CHECK_THAT(reconciler.err(), Catch::Contains("unknown server '***'"));
  CHECK_THAT(reconciler.err() + reconciler.out(), !Catch::Contains(token) && !Catch::Contains(key));
}
