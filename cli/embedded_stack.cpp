#include "ws/curve_keys.h"
#include "ws/embedded_stack.h"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

#include "ws/exporter.h"
#include "ws/fetcher.h"
#include "ws/ingest.h"
#include "ws/protocol.h"
#include "ws/reconciler.h"

namespace ws {
namespace {

// A thread's body that never lets an exception end the process: it is logged and reported.
template <typename Component>
std::function<void()> guarded(Component* component, std::string name,
                              std::function<void(const std::string&)> on_failure) {
  return [component, name = std::move(name), on_failure = std::move(on_failure)] {
    std::string error;
    try {
      component->run();
      return;
    } catch (const std::exception& e) {
      error = name + " stopped by an internal error: " + e.what();
    } catch (...) {
      error = name + " stopped by an unknown internal error";
    }
    spdlog::error("{}", error);
    if (on_failure) on_failure(error);
  };
}

}  // namespace

int default_embedded_fetchers(size_t servers, unsigned cores) {
  const size_t most = std::max<size_t>(2, cores);
  return static_cast<int>(std::clamp<size_t>(servers, 1, most));
}

Result<std::unique_ptr<EmbeddedStack>> EmbeddedStack::start(EmbeddedStackOptions options) {
  std::unique_ptr<EmbeddedStack> stack(new EmbeddedStack());
  ReconcilerOptions ro;
  ro.paths = options.paths;
  ro.config = options.config;
  if (!options.use_config_endpoints) {
    ro.config.endpoints.workers = std::string(protocol::kInprocWorkers);
    ro.config.endpoints.events = std::string(protocol::kInprocEvents);
    ro.config.endpoints.control = std::string(protocol::kInprocControl);
  }
  auto reconciler = Reconciler::create(stack->context_, ro);
  if (!reconciler) return reconciler.error();
  stack->reconciler_ = std::move(reconciler.value());
  // Workers connect to what was bound (a tcp://…:* endpoint resolves to its port); over
  // inproc the name is the endpoint.
  stack->workers_endpoint_ = options.use_config_endpoints ? stack->reconciler_->workers_endpoint()
                                                          : ro.config.endpoints.workers;
  stack->control_endpoint_ = options.use_config_endpoints ? stack->reconciler_->control_endpoint()
                                                          : ro.config.endpoints.control;
  // serve on endpoints off loopback: its own workers connect with CURVE like any other.
  auto fetcher_keys = curve_client_keys(stack->workers_endpoint_, options.paths.keys_dir(), curve_role::kFetcher);
  if (!fetcher_keys) return fetcher_keys.error();
  auto exporter_keys = curve_client_keys(stack->workers_endpoint_, options.paths.keys_dir(), curve_role::kExporter);
  if (!exporter_keys) return exporter_keys.error();
  try {
    for (int i = 0; i < options.fetchers; ++i) {
      FetcherOptions fo;
      fo.paths = options.paths;
      fo.config = ro.config;
      fo.endpoint = stack->workers_endpoint_;
      fo.name = default_worker_name("fetcher") + "-" + std::to_string(i);
      fo.curve = *fetcher_keys;
      stack->fetchers_.push_back(std::make_unique<Fetcher>(stack->context_, fo));
    }
    for (int i = 0; i < options.exporters; ++i) {
      ExporterOptions eo;
      eo.paths = options.paths;
      eo.config = ro.config;
      eo.endpoint = stack->workers_endpoint_;
      eo.name = default_worker_name("exporter") + "-" + std::to_string(i);
      eo.curve = *exporter_keys;
      stack->exporters_.push_back(std::make_unique<Exporter>(stack->context_, eo));
    }
  } catch (const std::exception& e) {
    return make_error(ErrorKind::invalid_input, e.what());
  }
  if (options.ingest) {
    IngestOptions io;
    io.paths = options.paths;
    io.config = ro.config;
    io.events_endpoint =
        options.use_config_endpoints ? stack->reconciler_->events_endpoint() : ro.config.endpoints.events;
    auto ingest = Ingest::create(stack->context_, io);
    if (!ingest) return ingest.error();
    stack->ingest_ = std::move(ingest.value());
    stack->threads_.emplace_back(guarded(stack->ingest_.get(), "ingest", options.on_failure));
  }
  stack->threads_.emplace_back(guarded(stack->reconciler_.get(), "the reconciler", options.on_failure));
  for (auto& f : stack->fetchers_) stack->threads_.emplace_back(guarded(f.get(), "a fetcher", options.on_failure));
  for (auto& e : stack->exporters_) stack->threads_.emplace_back(guarded(e.get(), "an exporter", options.on_failure));
  return stack;
}

std::string EmbeddedStack::webhook_url() const { return ingest_ ? ingest_->base_url() : std::string(); }

void EmbeddedStack::stop() {
  if (ingest_) ingest_->stop();
  for (auto& f : fetchers_) f->stop();
  for (auto& e : exporters_) e->stop();
  if (reconciler_) reconciler_->stop();
}

EmbeddedStack::~EmbeddedStack() {
  stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  // Sockets close before the context (members are destroyed in reverse order, the context last).
  ingest_.reset();
  fetchers_.clear();
  exporters_.clear();
  reconciler_.reset();
}

}  // namespace ws
