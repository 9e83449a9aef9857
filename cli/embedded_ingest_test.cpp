// `watchstate serve` runs ingest too: the embedded stack with ingest takes a webhook, spools it
// and hands it to its own reconciler over inproc://.
#include <catch2/catch.hpp>

#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli_testutil.h"
#include "ws/embedded_stack.h"

using namespace ws;
using ws::testing::DataDir;

TEST_CASE("the embedded stack with ingest takes webhooks and talks to its reconciler", "[cli][serve][ingest]") {
  DataDir data;
  data.write(data.servers(),
             "my_jf:\n  type: jellyfin\n  url: 'http://127.0.0.1:1'\n  token: t\n  user: '6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d'\n");
  EmbeddedStackOptions options;
  options.paths.root = data.path;
  options.config.webhook.apikey = "serve-key";
  options.config.webhook.listen = "127.0.0.1:0";
  options.ingest = true;
  auto stack = EmbeddedStack::start(options);
  REQUIRE(stack);
  const std::string url = stack.value()->webhook_url();
  REQUIRE_THAT(url, Catch::StartsWith("http://127.0.0.1:"));
  httplib::Client client(url);
  const std::string body =
      R"({"NotificationType":"UserDataSaved","ServerId":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","UserId":"6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d",)"
      R"("ItemId":"00112233445566778899aabbccddeeff","ItemType":"Movie","Name":"The Matrix","Played":true,"SaveReason":"TogglePlayed"})";
  auto r = client.Post("/?type=jellyfin&apikey=serve-key", body, "text/plain");
  REQUIRE(r);
  CHECK(r->status == 202);
  // The reconciler answers over inproc (today it refuses events it cannot apply yet): ingest
  // hears it, and the event stays spooled for a later try.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  nlohmann::json health;
  while (std::chrono::steady_clock::now() < deadline) {
    auto h = client.Get("/healthz");
    REQUIRE(h);
    health = nlohmann::json::parse(h->body);
    if (health["reconciler"]["connected"] == true) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(health["reconciler"]["connected"] == true);
  CHECK(health["spool"]["depth"].get<int>() + health["spool"]["failed"].get<int>() == 1);
  stack.value()->stop();
}
