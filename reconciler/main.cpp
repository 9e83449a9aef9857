// ws-reconciler: flags -> options -> Reconciler::create -> run() until SIGINT/SIGTERM.
#include <atomic>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "ws/config.h"
#include "ws/logging.h"
#include "ws/reconciler.h"
#include "ws/termination.h"

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "ws-reconciler: %s\n", message.c_str());
  return 1;
}

int run(int argc, char** argv) {
  CLI::App app{"ws-reconciler: owns the watchstate state (LMDB), the matching rules and the job broker"};
  std::string workers, control, events;
  int verbosity = 0;
  app.add_option("--workers", workers, "ROUTER endpoint for fetchers and exporters (config: endpoints.workers)");
  app.add_option("--control", control, "ROUTER endpoint for the CLI (config: endpoints.control)");
  app.add_option("--events", events, "ROUTER endpoint for ingest (config: endpoints.events)");
  app.add_flag("-v", verbosity, "more output (-v, -vv, -vvv)");
  CLI11_PARSE(app, argc, argv);

  ws::ReconcilerOptions options;
  options.paths = ws::DataPaths::from_environment();
  auto config = ws::load_config(options.paths.config_file());
  if (!config) return fail(config.error().message);
  options.config = config->config;
  ws::setup_logging(verbosity, options.config.log_level, options.config.log_format);
  for (const auto& w : config->warnings) spdlog::warn("{}", w.message);
  if (!workers.empty()) options.config.endpoints.workers = workers;
  if (!control.empty()) options.config.endpoints.control = control;
  if (!events.empty()) options.config.endpoints.events = events;

  // Signals first: every thread started after this (ZeroMQ's too) inherits the blocked mask.
  std::atomic<ws::Reconciler*> running{nullptr};
  std::atomic<bool> stop_requested{false};
  ws::TerminationWatcher watcher([&] {
    stop_requested = true;
    if (auto* r = running.load()) r->stop();
  });
  zmq::context_t context;
  auto reconciler = ws::Reconciler::create(context, options);
  if (!reconciler) return fail(reconciler.error().message);
  running = reconciler.value().get();
  if (stop_requested) return 0;
  spdlog::info("ws-reconciler: workers {} control {} events {}", reconciler.value()->workers_endpoint(),
               reconciler.value()->control_endpoint(), reconciler.value()->events_endpoint());
  reconciler.value()->run();
  running = nullptr;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Inside, a failed request fails that request only; what reaches here is a start-up failure or
  // a bug, and it still ends with a message and a non-zero exit, never an abort.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    return fail(std::string("internal error: ") + e.what());
  } catch (...) {
    return fail("internal error: an unknown exception");
  }
}
