// state:import, state:export, enqueue and serve: the commands that run the pipeline. When a
// reconciler answers on the control endpoint they enqueue there and follow its progress;
// otherwise they run the same pipeline embedded in this process (DESIGN §7).
#pragma once

namespace CLI {
class App;
}

namespace ws {

struct CliContext;

void register_sync_commands(CLI::App& app, CliContext& ctx);

}  // namespace ws
