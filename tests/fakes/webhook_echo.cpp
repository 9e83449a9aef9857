#include "webhook_echo.h"

namespace ws::fake {

WebhookEcho::WebhookEcho(std::string url) : url_(std::move(url)), thread_([this] { run(); }) {}

WebhookEcho::~WebhookEcho() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void WebhookEcho::send(WebhookPayload payload) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(payload));
    ++queued_;
  }
  cv_.notify_all();
}

std::string WebhookEcho::stats_json() const {
  std::lock_guard lock(mutex_);
  return "{\"queued\":" + std::to_string(queued_) + ",\"sent\":" + std::to_string(sent_) +
         ",\"failed\":" + std::to_string(failed_) + "}";
}

void WebhookEcho::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    WebhookPayload payload = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const bool ok = post_webhook(url_, payload, 5).ok();
    lock.lock();
    ++(ok ? sent_ : failed_);
  }
}

}  // namespace ws::fake
