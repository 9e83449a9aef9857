// A control request (docs/protocol.md "Control"): what the CLI, the schedule or a restart asks
// the reconciler to do.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ws/result.h"

namespace ws {

struct ControlRequest {
  std::string peer;     // control routing id to answer; empty for the schedule or a restart
  std::string ref;      // id of the ctl.request
  std::string command;  // "import" | "export" | "resume" (outbox left by a crash) | "status"
  std::vector<std::string> servers;  // empty: every server enabled for that direction
  bool full = false;
  bool dry_run = false;
  bool force = false;
};

// From a ctl.request body; refuses a missing or unknown command and fields of the wrong type
// with a sentence naming the field (the reconciler answers it with `ack ok:false`).
Result<ControlRequest> parse_control_request(const nlohmann::json& body);
nlohmann::json control_request_body(const ControlRequest& request);

}  // namespace ws
