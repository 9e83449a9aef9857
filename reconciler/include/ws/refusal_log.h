// Logs the refusals of peers' messages without letting a peer flood the log (docs/protocol.md
// "Errors"): each kind of refusal is logged once per peer per minute, and the next line for that
// peer and kind says how many were held back in between. Remembers a bounded number of
// (peer, kind) pairs: when full it forgets the ones whose minute is over, then all.
//
// Not thread-safe: one per socket, on the socket's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>

namespace ws {

class RefusalLog {
 public:
  using Clock = std::chrono::steady_clock;

  // `endpoint` starts every line ("workers", "control", "events"); `now` is the clock seam.
  explicit RefusalLog(std::string endpoint, std::function<Clock::time_point()> now = Clock::now,
                      std::chrono::seconds window = std::chrono::seconds(60));

  // Logs "<endpoint> endpoint: refused <kind> from <peer>: <reason>" at warn level unless a
  // refusal of this kind from this peer was logged within the window. `peer` is a routing id
  // (logged in hex). Returns whether it logged.
  bool refused(const std::string& peer, const std::string& kind, const std::string& reason);

  // (peer, kind) pairs remembered; at most kMaxTracked.
  size_t tracked() const { return entries_.size(); }
  static constexpr size_t kMaxTracked = 4096;

 private:
  struct Entry {
    Clock::time_point logged;
    uint64_t held_back = 0;
  };
  std::string endpoint_;
  std::function<Clock::time_point()> now_;
  std::chrono::seconds window_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;
};

}  // namespace ws
