// ws-exporter: flags -> config -> options -> validate -> Exporter -> run() until SIGINT/SIGTERM.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "ws/config.h"
#include "ws/exporter.h"
#include "ws/logging.h"

namespace {

std::atomic<ws::Exporter*> g_exporter{nullptr};  // for the signal handler only

extern "C" void on_signal(int) {
  if (ws::Exporter* exporter = g_exporter.load()) exporter->stop();  // stop() only stores a flag
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ws-exporter: takes export jobs from the reconciler and writes watch state to media servers"};
  std::string endpoint;
  std::string name;
  std::vector<std::string> servers;
  int verbosity = 0;
  app.add_option("--endpoint", endpoint, "the reconciler's workers endpoint (default: config.yaml endpoints.workers)");
  app.add_option("--name", name, "this worker's name in logs (default: exporter-HOST-PID)");
  app.add_option("--servers", servers, "take jobs for these servers only (comma-separated; default: any)")
      ->delimiter(',');
  app.add_flag("-v,--verbose", verbosity, "more log lines (-v info, -vv debug, -vvv trace)");
  CLI11_PARSE(app, argc, argv);

  ws::ExporterOptions options;
  options.paths = ws::DataPaths::from_environment();
  auto config = ws::load_config(options.paths.config_file());
  if (!config) {
    std::fprintf(stderr, "ws-exporter: %s\n", config.error().message.c_str());
    return 1;
  }
  if (auto logging = ws::setup_logging(verbosity, config->config.log_level, config->config.log_format); !logging) {
    std::fprintf(stderr, "ws-exporter: %s\n", logging.error().message.c_str());
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
    std::fprintf(stderr, "ws-exporter: %s\n", valid.error().message.c_str());
    return 1;
  }

  try {
    zmq::context_t context;
    ws::Exporter exporter(context, std::move(options));
    g_exporter = &exporter;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    spdlog::info("{}: exporting for {}", exporter.name(), endpoint.empty() ? config->config.endpoints.workers : endpoint);
    exporter.run();
    g_exporter = nullptr;
    spdlog::info("{}: stopped", exporter.name());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ws-exporter: %s\n", e.what());
    return 1;
  }
  return 0;
}
