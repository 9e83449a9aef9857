#include "ws/cli.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/logging.h"

namespace ws {

int run_cli(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return run_cli(args, std::cout, std::cerr);
}

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  forget_shown_messages();  // one command: what an earlier call in this process showed does not count
  CliContext ctx;
  ctx.paths = DataPaths::from_environment();
  ctx.out = &out;
  ctx.err = &err;

  CLI::App app{"watchstate: keeps watch state the same across Plex, Jellyfin and Emby servers.\n"
               "Data folder: $WS_DATA_PATH (default ./var).",
               "watchstate"};
  // Global flags are accepted after the command too (`watchstate servers:list --output json`).
  app.fallthrough();
  app.require_subcommand(1);
  app.add_flag("-v,--verbose", ctx.verbosity, "More log output: -v info, -vv debug, -vvv trace");
  // WatchState's -r (--redirect-logger, "redirect logger to stdout"): its seed documents
  // `state:import -vvvrm`. Here it sends the log lines to stdout, into the same stream as the output.
  bool log_to_stdout = false;
  app.add_flag("-r,--redirect-logger", log_to_stdout, "Write log lines to stdout, with the output, instead of stderr");
  std::string output = "text";
  app.add_option("--output", output, "Output format of commands that print data")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  register_all_commands(app, ctx);

  try {
    // CLI11 parses a reversed vector (it pops from the back).
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    // --help and friends are successes; every other parse error is a usage error.
    return code == static_cast<int>(CLI::ExitCodes::Success) ? kExitOk : kExitUsage;
  }
  ctx.output = output == "json" ? OutputFormat::json : OutputFormat::text;
  // Every secret this data folder holds is registered before the command runs, so an error that
  // comes back from a running reconciler is redacted too, whatever the command reads itself.
  // What is wrong with the files is the command's to report.
  (void)load_servers(ctx.paths.servers_file());
  (void)load_config(ctx.paths.config_file());
  // The CLI's own log stays quiet unless asked: its output is the command's result.
  if (auto ok = setup_logging(ctx.verbosity, "warn", "text", log_to_stdout ? &out : nullptr); !ok)
    return ctx.fail(ok.error());
  // The logger must not outlive `out`: back to stderr when the command is done.
  struct RestoreLogger {
    bool redirected;
    int verbosity;
    ~RestoreLogger() {
      if (redirected) (void)setup_logging(verbosity, "warn", "text");
    }
  } restore{log_to_stdout, ctx.verbosity};
  if (!ctx.action) return ctx.usage("no command given; run with --help");
  try {
    return ctx.action();
  } catch (const std::exception& e) {
    // A bug, not an expected failure: still a clear message and exit 1, never a crash.
    return ctx.fail(std::string("internal error: ") + e.what());
  }
}

}  // namespace ws
