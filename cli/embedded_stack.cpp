#include "ws/embedded_stack.h"

#include "ws/exporter.h"
#include "ws/fetcher.h"
#include "ws/protocol.h"
#include "ws/reconciler.h"

namespace ws {

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
  try {
    for (int i = 0; i < options.fetchers; ++i) {
      FetcherOptions fo;
      fo.paths = options.paths;
      fo.config = ro.config;
      fo.endpoint = stack->workers_endpoint_;
      fo.name = default_worker_name("fetcher") + "-" + std::to_string(i);
      stack->fetchers_.push_back(std::make_unique<Fetcher>(stack->context_, fo));
    }
    for (int i = 0; i < options.exporters; ++i) {
      ExporterOptions eo;
      eo.paths = options.paths;
      eo.config = ro.config;
      eo.endpoint = stack->workers_endpoint_;
      eo.name = default_worker_name("exporter") + "-" + std::to_string(i);
      stack->exporters_.push_back(std::make_unique<Exporter>(stack->context_, eo));
    }
  } catch (const std::exception& e) {
    return make_error(ErrorKind::invalid_input, e.what());
  }
  auto* r = stack->reconciler_.get();
  stack->threads_.emplace_back([r] { r->run(); });
  for (auto& f : stack->fetchers_) stack->threads_.emplace_back([p = f.get()] { p->run(); });
  for (auto& e : stack->exporters_) stack->threads_.emplace_back([p = e.get()] { p->run(); });
  return stack;
}

void EmbeddedStack::stop() {
  for (auto& f : fetchers_) f->stop();
  for (auto& e : exporters_) e->stop();
  if (reconciler_) reconciler_->stop();
}

EmbeddedStack::~EmbeddedStack() {
  stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  // Sockets close before the context (members are destroyed in reverse order, the context last).
  fetchers_.clear();
  exporters_.clear();
  reconciler_.reset();
}

}  // namespace ws
