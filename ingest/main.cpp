// ws-ingest: flags -> options -> Ingest::create -> run() until SIGINT/SIGTERM.
#include <atomic>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "ws/config.h"
#include "ws/ingest.h"
#include "ws/logging.h"
#include "ws/termination.h"

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "ws-ingest: %s\n", message.c_str());
  return 1;
}

int run(int argc, char** argv) {
  CLI::App app{"ws-ingest: takes webhooks from Plex, Jellyfin and Emby into a durable spool, and on to the reconciler"};
  std::string listen, events;
  int verbosity = 0;
  app.add_option("--listen", listen, "HOST:PORT to serve webhooks on; port 0 = any (config: webhook.listen)");
  app.add_option("--events", events, "the reconciler's events endpoint (config: endpoints.events)");
  app.add_flag("-v", verbosity, "more output (-v, -vv, -vvv)");
  CLI11_PARSE(app, argc, argv);

  ws::IngestOptions options;
  options.paths = ws::DataPaths::from_environment();
  auto config = ws::load_config(options.paths.config_file());
  if (!config) return fail(config.error().message);
  options.config = config->config;
  ws::setup_logging(verbosity, options.config.log_level, options.config.log_format);
  for (const auto& w : config->warnings) spdlog::warn("{}", w.message);
  if (!listen.empty()) options.config.webhook.listen = listen;
  if (!events.empty()) options.config.endpoints.events = events;
  if (auto valid = ws::validate(options); !valid) {
    std::fprintf(stderr, "ws-ingest: %s\n", valid.error().message.c_str());
    return 2;
  }

  // Signals first: every thread started after this (ZeroMQ's, httplib's) inherits the blocked mask.
  std::atomic<ws::Ingest*> running{nullptr};
  std::atomic<bool> stop_requested{false};
  ws::TerminationWatcher watcher([&] {
    stop_requested = true;
    if (auto* i = running.load()) i->stop();
  });
  zmq::context_t context;
  auto ingest = ws::Ingest::create(context, options);
  if (!ingest) return fail(ingest.error().message);
  // The port on stdout too: with --listen HOST:0 a test or script reads it from here.
  std::printf("ws-ingest listening on %s\n", ingest.value()->base_url().c_str());
  std::fflush(stdout);
  running = ingest.value().get();
  if (stop_requested) return 0;
  ingest.value()->run();
  running = nullptr;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Inside, a bad webhook or a failed forward fails alone; what reaches here is a start-up
  // failure or a bug, and it still ends with a message and a non-zero exit, never an abort.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    return fail(std::string("internal error: ") + e.what());
  } catch (...) {
    return fail("internal error: an unknown exception");
  }
}
