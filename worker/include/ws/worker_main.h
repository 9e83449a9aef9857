// The whole `main` of a job worker process (ws-fetcher, ws-exporter): flags -> config -> options
// -> validate -> construct -> run() until SIGINT/SIGTERM. Both workers share the flags and the
// start-up, so they share this; each main only names its types and words.
//
// Errors: a bad flag, config.yaml or option ends the process with exit code 1 and one line that
// names what is wrong; so does anything thrown while starting or out of run(), which is caught
// here, logged (through redaction) and never left to std::terminate. Inside run(), a failed job
// fails that job only and the worker keeps serving (JobWorker).
#pragma once

#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "ws/termination.h"
#include "ws/worker_options.h"

namespace ws {

// What tells the two workers' mains apart.
struct WorkerProgram {
  std::string name;         // "ws-fetcher": starts every start-up error line
  std::string description;  // the --help line
  std::string doing;        // "fetching": the start-up log line
};

// Reads the flags (--endpoint, --name, --servers, -v) and config.yaml into `options`, sets up
// logging, and registers the secrets of config.yaml and servers.yaml for redaction. Returns the
// exit code when main should end now: 0 after --help, 1 after an error (already reported).
std::optional<int> prepare_worker(int argc, char** argv, const WorkerProgram& program, WorkerOptions& options);

// The worker's role, "fetcher" for ws-fetcher: its CURVE keys are keys/<role>.key (ws/curve_keys.h).
std::string worker_role(const WorkerProgram& program);

// Reports an error that ends the process — logged once logging is set up, else printed to stderr
// — and returns the exit code, 1.
int worker_failed(const WorkerProgram& program, std::string_view message);

// SIGINT/SIGTERM -> the stop of whatever runs now. Construct it before any other thread starts
// (ZeroMQ's included): they inherit the blocked signals, and the signals reach only its watcher.
class StopOnSignal {
 public:
  StopOnSignal();

  // Calls `stop` on a signal until the guard is destroyed; at once when a signal came before.
  class Guard {
   public:
    explicit Guard(StopOnSignal& owner) : owner_(owner) {}
    ~Guard() { owner_.set_stop({}); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    StopOnSignal& owner_;
  };
  [[nodiscard]] Guard route_to(std::function<void()> stop);

 private:
  void set_stop(std::function<void()> stop);
  void signalled();

  std::mutex mu_;
  std::function<void()> stop_;
  bool signalled_ = false;
  TerminationWatcher watcher_;  // last: its thread calls signalled()
};

// Worker: constructible from (zmq::context_t&, Options), with run(), stop() and name(). Options:
// derived from WorkerOptions, with a free `validate(const Options&)`.
template <typename Worker, typename Options>
int run_worker_main(int argc, char** argv, const WorkerProgram& program) {
  try {
    Options options;
    if (auto exit = prepare_worker(argc, argv, program, options)) return *exit;
    if (auto valid = validate(options); !valid) return worker_failed(program, valid.error().message);
    const std::string endpoint = effective_endpoint(options);
    auto curve = curve_client_keys(endpoint, options.paths.keys_dir(), worker_role(program));
    if (!curve) return worker_failed(program, curve.error().message);
    options.curve = std::move(*curve);
    const bool options_curve = options.curve.has_value();
    StopOnSignal signals;
    zmq::context_t context;
    Worker worker(context, std::move(options));
    const StopOnSignal::Guard routed = signals.route_to([&worker] { worker.stop(); });
    spdlog::info("{}: {} for {}{}", worker.name(), program.doing, endpoint, options_curve ? " (CURVE)" : "");
    worker.run();
    spdlog::info("{}: stopped", worker.name());
    return 0;
  } catch (const std::exception& e) {
    return worker_failed(program, e.what());
  } catch (...) {
    return worker_failed(program, "an unknown exception");
  }
}

}  // namespace ws
