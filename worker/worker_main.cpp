#include "ws/worker_main.h"

#include <atomic>
#include <cstdio>
#include <vector>

#include <CLI/CLI.hpp>

#include "ws/config.h"
#include "ws/logging.h"
#include "ws/redact.h"

namespace ws {
namespace {

// Set once setup_logging succeeded: from then on errors go to the log (redacted, in the
// configured format) instead of a bare line on stderr.
std::atomic<bool> g_logging{false};

}  // namespace

std::optional<int> prepare_worker(int argc, char** argv, const WorkerProgram& program, WorkerOptions& options) {
  CLI::App app{program.name + ": " + program.description};
  int verbosity = 0;
  app.add_option("--endpoint", options.endpoint,
                 "the reconciler's workers endpoint (default: config.yaml endpoints.workers)");
  app.add_option("--name", options.name,
                 "this worker's name in logs (default: " + worker_role(program) + "-HOST-PID)");
  app.add_option("--servers", options.servers, "take jobs for these servers only (comma-separated; default: any)")
      ->delimiter(',');
  app.add_flag("-v,--verbose", verbosity, "more log lines (-v info, -vv debug, -vvv trace)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  options.paths = DataPaths::from_environment();
  auto config = load_config(options.paths.config_file());
  if (!config) return worker_failed(program, config.error().message);
  if (auto logging = setup_logging(verbosity, config->config.log_level, config->config.log_format); !logging)
    return worker_failed(program, logging.error().message);
  g_logging = true;
  for (const auto& warning : config->warnings) spdlog::warn("{}", warning.message);
  add_log_secrets(secrets_of(config->config));
  if (auto known = load_servers(options.paths.servers_file()); known) add_log_secrets(secrets_of(*known));
  options.config = config->config;
  return std::nullopt;
}

std::string worker_role(const WorkerProgram& program) {
  return program.name.rfind("ws-", 0) == 0 ? program.name.substr(3) : program.name;
}

int worker_failed(const WorkerProgram& program, std::string_view message) {
  if (g_logging.load()) {
    spdlog::critical("{}: {}; exiting", program.name, message);
  } else {
    std::fprintf(stderr, "%s: %s\n", program.name.c_str(), redact_url(message).c_str());
  }
  return 1;
}

StopOnSignal::StopOnSignal() : watcher_([this] { signalled(); }) {}

StopOnSignal::Guard StopOnSignal::route_to(std::function<void()> stop) {
  set_stop(std::move(stop));
  return Guard(*this);
}

void StopOnSignal::set_stop(std::function<void()> stop) {
  std::lock_guard<std::mutex> lock(mu_);
  stop_ = std::move(stop);
  if (stop_ && signalled_) stop_();
}

void StopOnSignal::signalled() {
  std::lock_guard<std::mutex> lock(mu_);
  signalled_ = true;
  if (stop_) stop_();
}

}  // namespace ws
