// The state store under a running ws-reconciler: a map too small for an import fails it clearly,
// the reconciler keeps answering and shows the failure in db:stats, and once config.yaml gives
// it room the same process imports again. state:restore is refused while it runs.
#include <catch2/catch.hpp>

#include "e2e_fakes.h"
#include "e2e_harness.h"
#include "e2e_stack.h"

namespace {

using namespace ws::e2e;
using namespace std::chrono_literals;
using nlohmann::json;

json stats_of(const DataFolder& folder) {
  auto r = folder.watchstate({"db:stats", "--output", "json"});
  INFO("db:stats: " << r.describe());
  REQUIRE(r.exit_code == 0);
  return r.json();
}

}  // namespace

TEST_CASE("a reconciler whose map fills up reports it, keeps answering, and imports again once config.yaml gives room",
          "[e2e][store]") {
  // About 7,000 records: a few MiB of state (records of schema 2 are small), over a 1 MiB map.
  auto fakes = FakeSet::start(
      {{"plex", "plex", {"--state-seed", "1", "--watched", "30"}}},
      {"--catalog", "11", "--movies", "6000", "--shows", "10", "--seasons", "4", "--episodes", "25"});
  DataFolder folder("mapfull");
  folder.write_servers(fakes.servers());
  folder.write_config("store:\n  map_size: 1M\n");
  Stack stack(folder, 1, 0);
  const pid_t reconciler = stack.reconciler().pid();

  // The import fails, and says why and what to change.
  auto failed = folder.watchstate({"state:import"});
  INFO(failed.describe() << "\n" << stack.logs());
  CHECK(failed.exit_code == 1);
  // (The summary lists each server's errors on stdout; stderr says the import failed.)
  CHECK_THAT(failed.out, Catch::Contains("is full") && Catch::Contains("store.map_size"));
  CHECK_THAT(failed.err, Catch::Contains("import finished with errors"));

  // The reconciler answers reads and status, and db:stats shows the failure.
  REQUIRE(stack.reconciler().running());
  json stats = stats_of(folder);
  CHECK(stats.at("store").at("reconciler") == true);
  CHECK(stats.at("store").at("ok") == false);
  CHECK_THAT(stats.at("store").at("error").get<std::string>(), Catch::Contains("is full"));
  const auto text = folder.watchstate({"db:stats"});
  CHECK_THAT(text.out, Catch::Contains("FAILED") && Catch::Contains("store.map_size"));

  // The whole state cannot be replaced under it.
  auto restore = folder.watchstate({"state:restore", (folder.root() / "config" / "servers.yaml").string()});
  CHECK(restore.exit_code == 1);
  CHECK_THAT(restore.err, Catch::Contains("stop the reconciler") &&
                              Catch::Contains("(pid " + std::to_string(reconciler) + ")"));

  // More room in config.yaml; the same process imports everything at its next request.
  folder.write_config("store:\n  map_size: 64M\n");
  auto again = folder.watchstate({"state:import", "--output", "json"});
  INFO(again.describe() << "\n" << stack.logs());
  REQUIRE(again.exit_code == 0);
  CHECK(stack.reconciler().pid() == reconciler);
  REQUIRE(stack.reconciler().running());
  stats = stats_of(folder);
  CHECK(stats.at("store").at("ok") == true);
  CHECK(stats.at("records").get<int>() > 2000);
  CHECK_THAT(stack.reconciler().err(), Catch::Contains("re-opened after a failed commit"));
  for (const auto& problem : stack.stop()) FAIL_CHECK(problem);
}
