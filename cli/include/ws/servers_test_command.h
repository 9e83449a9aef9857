// `watchstate servers:test [NAME]` (DESIGN §7): for each server (or the one named), checks the
// url, the token and the user by reading the server's identity and libraries, prints what it
// found, and records the server's id as `uuid` in servers.yaml when it was missing or changed.
// Exit 0 when every tested server answered, 1 otherwise, 2 for an unknown NAME.
#pragma once

namespace CLI {
class App;
}

namespace ws {

struct CliContext;

void register_servers_test_command(CLI::App& app, CliContext& ctx);

}  // namespace ws
