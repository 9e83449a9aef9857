// The whole `main` of a job worker process (ws-fetcher, ws-exporter): flags -> config -> options
// -> validate -> construct -> run() until SIGINT/SIGTERM. Both workers share the flags and the
// start-up, so they share this; each main only names its types and words.
#pragma once

#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "ws/config.h"
#include "ws/logging.h"

namespace ws {

// Worker: constructible from (zmq::context_t&, Options), with run(), stop() (a flag store, so
// safe in a signal handler) and name(). Options: paths, config, endpoint, name, servers, and a
// free `validate(const Options&)`.
template <typename Worker>
struct StopOnSignal {
  static inline std::atomic<Worker*> worker{nullptr};
  static void handle(int) {
    if (Worker* w = worker.load()) w->stop();
  }
};

template <typename Worker, typename Options>
int run_worker_main(int argc, char** argv, const std::string& program, const std::string& description,
                    const std::string& doing) {
  CLI::App app{program + ": " + description};
  std::string endpoint;
  std::string name;
  std::vector<std::string> servers;
  int verbosity = 0;
  app.add_option("--endpoint", endpoint, "the reconciler's workers endpoint (default: config.yaml endpoints.workers)");
  app.add_option("--name", name, "this worker's name in logs (default: " + program.substr(3) + "-HOST-PID)");
  app.add_option("--servers", servers, "take jobs for these servers only (comma-separated; default: any)")
      ->delimiter(',');
  app.add_flag("-v,--verbose", verbosity, "more log lines (-v info, -vv debug, -vvv trace)");
  CLI11_PARSE(app, argc, argv);

  auto fail = [&](const std::string& message) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), message.c_str());
    return 1;
  };
  Options options;
  options.paths = DataPaths::from_environment();
  auto config = load_config(options.paths.config_file());
  if (!config) return fail(config.error().message);
  if (auto logging = setup_logging(verbosity, config->config.log_level, config->config.log_format); !logging)
    return fail(logging.error().message);
  for (const auto& warning : config->warnings) spdlog::warn("{}", warning.message);
  add_log_secrets(secrets_of(config->config));
  if (auto known = load_servers(options.paths.servers_file()); known) add_log_secrets(secrets_of(*known));

  options.config = config->config;
  options.endpoint = endpoint;
  options.name = name;
  options.servers = servers;
  if (auto valid = validate(options); !valid) return fail(valid.error().message);

  try {
    zmq::context_t context;
    Worker worker(context, std::move(options));
    StopOnSignal<Worker>::worker = &worker;
    std::signal(SIGINT, StopOnSignal<Worker>::handle);
    std::signal(SIGTERM, StopOnSignal<Worker>::handle);
    spdlog::info("{}: {} for {}", worker.name(), doing, endpoint.empty() ? config->config.endpoints.workers : endpoint);
    worker.run();
    StopOnSignal<Worker>::worker = nullptr;
    spdlog::info("{}: stopped", worker.name());
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 0;
}

}  // namespace ws
