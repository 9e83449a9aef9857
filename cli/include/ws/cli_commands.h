// The command registry. Each command family is one file pair (`<family>_commands.h/.cpp`) with
// one `register_<family>_commands` function; adding a family is that pair plus one line in
// cli_commands.cpp's table.
//
// A registration adds CLI11 subcommands (names with colons: `state:list`) to `app` and, in each
// subcommand's callback, sets `ctx.action` to the function that runs it. Options live in a
// shared_ptr captured by that function, so they outlive registration.
//
// Create subcommands with add_command(), not CLI::App::add_subcommand(): CLI11 2.1 refuses a
// ':' in add_subcommand("state:list") with "Subcommand name contains invalid character".
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace ws {

struct CliContext;

// app.add_subcommand(name, description) for names with colons (`config:dump`). The subcommand
// inherits the parent's settings (help flag, fallthrough) as add_subcommand gives them.
CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& description);

void register_all_commands(CLI::App& app, CliContext& ctx);

}  // namespace ws
