// ws-fetcher: flags -> config -> options -> validate -> Fetcher -> run() until SIGINT/SIGTERM.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "ws/config.h"
#include "ws/fetcher.h"
#include "ws/logging.h"

namespace {

std::atomic<ws::Fetcher*> g_fetcher{nullptr};  // for the signal handler only

extern "C" void on_signal(int) {
  if (ws::Fetcher* fetcher = g_fetcher.load()) fetcher->stop();  // stop() only stores a flag
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ws-fetcher: takes fetch jobs from the reconciler and reads media servers"};
  std::string endpoint;
  std::string name;
  std::vector<std::string> servers;
  int verbosity = 0;
  app.add_option("--endpoint", endpoint, "the reconciler's workers endpoint (default: config.yaml endpoints.workers)");
  app.add_option("--name", name, "this worker's name in logs (default: fetcher-HOST-PID)");
  app.add_option("--servers", servers, "take jobs for these servers only (comma-separated; default: any)")
      ->delimiter(',');
  app.add_flag("-v,--verbose", verbosity, "more log lines (-v info, -vv debug, -vvv trace)");
  CLI11_PARSE(app, argc, argv);

  ws::FetcherOptions options;
  options.paths = ws::DataPaths::from_environment();
  auto config = ws::load_config(options.paths.config_file());
  if (!config) {
    std::fprintf(stderr, "ws-fetcher: %s\n", config.error().message.c_str());
    return 1;
  }
  if (auto logging = ws::setup_logging(verbosity, config->config.log_level, config->config.log_format); !logging) {
    std::fprintf(stderr, "ws-fetcher: %s\n", logging.error().message.c_str());
    return 1;
  }
  for (const auto& warning : config->warnings) spdlog::warn("{}", warning.message);
  ws::add_log_secrets(ws::secrets_of(config->config));
  if (auto known = ws::load_servers(options.paths.servers_file()); known) ws::add_log_secrets(ws::secrets_of(*known));

  options.config = config->config;
  options.endpoint = endpoint;
  options.name = name;
  options.servers = servers;
  if (auto valid = ws::validate(options); !valid) {
    std::fprintf(stderr, "ws-fetcher: %s\n", valid.error().message.c_str());
    return 1;
  }

  try {
    zmq::context_t context;
    ws::Fetcher fetcher(context, std::move(options));
    g_fetcher = &fetcher;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    spdlog::info("{}: fetching for {}", fetcher.name(), endpoint.empty() ? config->config.endpoints.workers : endpoint);
    fetcher.run();
    g_fetcher = nullptr;
    spdlog::info("{}: stopped", fetcher.name());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ws-fetcher: %s\n", e.what());
    return 1;
  }
  return 0;
}
