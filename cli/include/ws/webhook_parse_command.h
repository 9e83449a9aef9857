// `watchstate webhook:parse --type plex|jellyfin|emby [--content-type CT] FILE` (DESIGN §7):
// parses a captured webhook body with the same parser ingest uses and prints the normalized
// event as JSON. For debugging a server's webhook set-up; it touches no state and no server.
// See cli_commands.h for the registration pattern.
#pragma once

namespace CLI {
class App;
}

namespace ws {

struct CliContext;

void register_webhook_commands(CLI::App& app, CliContext& ctx);

}  // namespace ws
