// The multi-process stack of one data folder: a ws-reconciler, fetchers and exporters, each its
// own process on the folder's tcp endpoints. Each worker runs with -vv so its log shows the jobs
// it takes ("job ... attempt N") and finishes ("job ... finished").
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "e2e_harness.h"

// A Catch2 REQUIRE that shows every process's log of `stack` when it fails.
#define REQUIRE_LOGGED(stack, ...) \
  do {                             \
    INFO((stack).logs());          \
    REQUIRE(__VA_ARGS__);          \
  } while (false)

namespace ws::e2e {

class Stack {
 public:
  // Starts the reconciler (and waits until its control endpoint listens), then the workers.
  // Throws std::runtime_error with the reconciler's log when it does not come up.
  Stack(const DataFolder& folder, int fetchers, int exporters);

  Process& reconciler() { return *reconciler_; }
  Process& fetcher(size_t i) { return fetchers_.at(i); }
  // Starts one more fetcher (named fetcher-N); references to the others stay valid.
  Process& add_fetcher();
  Process& exporter(size_t i) { return exporters_.at(i); }
  // Starts a new reconciler after the old one died (or was stopped), and waits for it.
  void restart_reconciler();
  // Every process's log tail, for failure messages.
  std::string logs() const;
  // Stops every process still running with SIGTERM and returns what went wrong: a process that
  // did not exit within 10 s or exited other than 0, and any sanitizer report in any log.
  std::vector<std::string> stop();

 private:
  void start_reconciler();

  const DataFolder& folder_;
  std::optional<Process> reconciler_;
  std::deque<Process> fetchers_;  // a deque: add_fetcher() must not move the running ones
  std::vector<Process> exporters_;
  int reconciler_starts_ = 0;
};

// Lines of a worker's log that say it started a job, and that it finished one.
size_t jobs_started(const Process& worker);
size_t jobs_finished(const Process& worker);
// The id of the last job the worker started ("" when none), and the attempts at `job` it started.
std::string last_job_started(const Process& worker);
std::vector<int> attempts_started(const Process& worker, const std::string& job);

}  // namespace ws::e2e
