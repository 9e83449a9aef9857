#include "ws/control_request.h"

#include <nlohmann/json.hpp>

#include "ws/message_fields.h"
#include "ws/protocol.h"

namespace ws {

Result<ControlRequest> parse_control_request(const nlohmann::json& body) {
  MessageFields fields(std::string(protocol::kCtlRequest), body);
  ControlRequest r;
  r.ref = fields.string_or("id", "");
  r.command = fields.string("command");
  r.servers = fields.strings_or_empty("servers");
  r.full = fields.boolean_or("full", false);
  r.dry_run = fields.boolean_or("dry_run", false);
  r.force = fields.boolean_or("force", false);
  if (fields.ok() && r.command != "import" && r.command != "export" && r.command != "status")
    fields.invalid("command", "is '" + r.command.substr(0, 32) + "', not one of import, export, status");
  if (!fields.ok()) return fields.as_error();
  return r;
}

nlohmann::json control_request_body(const ControlRequest& r) {
  return {{"command", r.command}, {"servers", r.servers}, {"full", r.full}, {"dry_run", r.dry_run}, {"force", r.force}};
}

}  // namespace ws
