#include "ws/termination.h"

#include <atomic>
#include <csignal>

#include <pthread.h>

namespace ws {
namespace {
std::atomic<bool> g_exiting{false};
}

TerminationWatcher::TerminationWatcher(std::function<void()> on_signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  g_exiting = false;
  thread_ = std::thread([set, on_signal = std::move(on_signal)] {
    int sig = 0;
    while (sigwait(&set, &sig) == 0) {
      if (g_exiting.load()) return;
      on_signal();
    }
  });
}

TerminationWatcher::~TerminationWatcher() {
  g_exiting = true;
  pthread_kill(thread_.native_handle(), SIGTERM);  // wakes sigwait; the flag says it is us
  thread_.join();
}

}  // namespace ws
