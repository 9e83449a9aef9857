// The db:* commands of `watchstate` (DESIGN §7); see cli_commands.h for the pattern.
#pragma once

namespace CLI {
class App;
}

namespace ws {

struct CliContext;

void register_db_commands(CLI::App& app, CliContext& ctx);

}  // namespace ws
