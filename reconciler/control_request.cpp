#include "ws/control_request.h"

#include <nlohmann/json.hpp>

namespace ws {

Result<ControlRequest> parse_control_request(const nlohmann::json& body) {
  ControlRequest r;
  try {
    r.ref = body.value("id", std::string{});
    r.command = body.value("command", std::string{});
    if (r.command != "import" && r.command != "export" && r.command != "status")
      return make_error(ErrorKind::invalid_input,
                        "ctl.request: command '" + r.command + "' is not one of import, export, status");
    if (auto it = body.find("servers"); it != body.end() && !it->is_null())
      r.servers = it->get<std::vector<std::string>>();
    r.full = body.value("full", false);
    r.dry_run = body.value("dry_run", false);
    r.force = body.value("force", false);
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::invalid_input, std::string("ctl.request: ") + e.what());
  }
  return r;
}

nlohmann::json control_request_body(const ControlRequest& r) {
  return {{"command", r.command}, {"servers", r.servers}, {"full", r.full}, {"dry_run", r.dry_run}, {"force", r.force}};
}

}  // namespace ws
