// state:unmatched, state:backup and state:restore: what could not be matched, and a portable
// JSON copy of the state and back.
#pragma once

namespace CLI {
class App;
}

namespace ws {

struct CliContext;

void register_transfer_commands(CLI::App& app, CliContext& ctx);

}  // namespace ws
