#include "ws/cli_commands.h"

#include <algorithm>

#include <CLI/CLI.hpp>

#include "ws/config_commands.h"
#include "ws/db_commands.h"
#include "ws/servers_commands.h"
#include "ws/servers_test_command.h"
#include "ws/state_commands.h"
#include "ws/status_command.h"
#include "ws/sync_commands.h"
#include "ws/transfer_commands.h"
#include "ws/webhook_parse_command.h"
#include "ws/webhook_test_command.h"

namespace ws {

using RegisterFn = void (*)(CLI::App&, CliContext&);

// One line per command family, in the order --help lists them.
constexpr RegisterFn kCommandFamilies[] = {
    register_config_commands,
    register_servers_commands,
    register_servers_test_command,
    register_state_commands,
    register_sync_commands,
    register_status_command,
    register_transfer_commands,
    register_db_commands,
    register_webhook_commands,
    register_webhook_test_command,
};

CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& description) {
  // CLI11 2.1 validates names in add_subcommand() only; name() accepts the seed's colons, and
  // the parser matches them like any other name.
  std::string placeholder = name;
  std::replace(placeholder.begin(), placeholder.end(), ':', '_');
  return app.add_subcommand(placeholder, description)->name(name);
}

void register_all_commands(CLI::App& app, CliContext& ctx) {
  for (RegisterFn fn : kCommandFamilies) fn(app, ctx);
}

}  // namespace ws
