#include "ws/refusal_log.h"

#include <spdlog/spdlog.h>

#include "ws/zmq_channel.h"

namespace ws {

RefusalLog::RefusalLog(std::string endpoint, std::function<Clock::time_point()> now, std::chrono::seconds window)
    : endpoint_(std::move(endpoint)), now_(std::move(now)), window_(window) {}

bool RefusalLog::refused(const std::string& peer, const std::string& kind, const std::string& reason) {
  const auto now = now_();
  auto key = std::make_pair(peer, kind);
  auto it = entries_.find(key);
  if (it != entries_.end() && now - it->second.logged < window_) {
    ++it->second.held_back;
    return false;
  }
  uint64_t held_back = 0;
  if (it != entries_.end()) {
    held_back = it->second.held_back;
    entries_.erase(it);
  }
  if (entries_.size() >= kMaxTracked) {
    std::erase_if(entries_, [&](const auto& e) { return now - e.second.logged >= window_; });
    if (entries_.size() >= kMaxTracked) entries_.clear();
  }
  entries_.emplace(std::move(key), Entry{now, 0});
  if (held_back > 0) {
    spdlog::warn("{} endpoint: refused {} from {}: {} ({} more of this kind held back since the last line)",
                 endpoint_, kind, describe_peer(peer), reason, held_back);
  } else {
    spdlog::warn("{} endpoint: refused {} from {}: {}", endpoint_, kind, describe_peer(peer), reason);
  }
  return true;
}

}  // namespace ws
