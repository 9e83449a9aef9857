// `watchstate status`: asks the running reconciler (on endpoints.control) what it is doing.
// Exit 0 when it answers within --timeout, 1 when it does not (the message names the endpoint).
// Never runs anything embedded: it is what a container health check calls, so "no reconciler"
// must be a failure, not a reason to start one. See cli_commands.h for the pattern.
#pragma once

namespace CLI {
class App;
}

namespace ws {

struct CliContext;

void register_status_command(CLI::App& app, CliContext& ctx);

}  // namespace ws
