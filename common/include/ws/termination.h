// SIGINT/SIGTERM → a callback, on a thread of its own (no work in a signal handler). Construct it
// in main before starting any other thread, so every thread inherits the blocked signals.
#pragma once

#include <functional>
#include <thread>

namespace ws {

class TerminationWatcher {
 public:
  explicit TerminationWatcher(std::function<void()> on_signal);
  ~TerminationWatcher();
  TerminationWatcher(const TerminationWatcher&) = delete;
  TerminationWatcher& operator=(const TerminationWatcher&) = delete;

 private:
  std::thread thread_;
};

}  // namespace ws
