// The watchstate command line inside a Catch2 test: a run that must succeed, and its JSON answer.
#pragma once

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "e2e_harness.h"

namespace ws::e2e {

// Runs `watchstate args... --output json` to its end, REQUIREs exit 0 (showing the output when
// it is not), and returns the answer it printed.
inline nlohmann::json watchstate_ok(const DataFolder& folder, std::vector<std::string> args) {
  args.insert(args.end(), {"--output", "json"});
  auto r = folder.watchstate(args);
  INFO("watchstate " << args.front() << ": " << r.describe());
  REQUIRE(r.exit_code == 0);
  return r.json();
}

}  // namespace ws::e2e
