// The webhooks a real Jellyfin or Emby sends on its own after its state was changed through the
// API (--echo-webhooks): our exporter's writes come back to ingest this way, and ingest must know
// its own echo. Payloads are built at the write, then posted in order by one thread, after the
// write's answer, as a real server posts them.
// Thread safety: send() from any thread; the destructor stops the thread (pending payloads that
// were not posted within the stop are dropped, as a real server shutting down drops them).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "webhook_sender.h"

namespace ws::fake {

class WebhookEcho {
 public:
  explicit WebhookEcho(std::string url);
  ~WebhookEcho();
  WebhookEcho(const WebhookEcho&) = delete;
  WebhookEcho& operator=(const WebhookEcho&) = delete;

  void send(WebhookPayload payload);
  // {"queued","sent","failed"}: counts since start (failed: no answer from the URL).
  std::string stats_json() const;

 private:
  void run();

  const std::string url_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<WebhookPayload> queue_;
  bool stopping_ = false;
  uint64_t queued_ = 0, sent_ = 0, failed_ = 0;
  std::thread thread_;
};

}  // namespace ws::fake
