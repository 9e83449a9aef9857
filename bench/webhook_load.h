// The load both webhook benchmarks put on an intake (ws_ingest_bench: ingest alone;
// ws_webhook_bench: the whole stack): keep-alive clients posting webhooks as fast as they are
// answered, for a measured interval, and the two lines every such run prints.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "bench_report.h"

namespace ws::bench {

struct WebhookLoad {
  std::vector<double> accepted_ms;  // the latency of every 202, ascending
  uint64_t other = 0;               // answers other than 202 (and failed requests)
  double elapsed_s = 0;             // from the first request to the last client's end
};

// `connections` clients post `body_of(n)` (n counts every request of the run, from 0) to
// 127.0.0.1:`port` `target` for `seconds`. The first few answers other than 202 of each client
// go to stderr: they say why an intake refuses.
inline WebhookLoad post_webhooks(int port, const std::string& target, int connections, int seconds,
                                 const std::function<std::string(uint64_t)>& body_of) {
  using Clock = std::chrono::steady_clock;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> counter{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(connections));
  std::vector<uint64_t> others(static_cast<size_t>(connections), 0);
  std::vector<std::thread> clients;
  const auto started = Clock::now();
  for (int c = 0; c < connections; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      auto& mine = latencies[static_cast<size_t>(c)];
      auto& refused = others[static_cast<size_t>(c)];
      mine.reserve(200000);
      while (!stop) {
        const std::string body = body_of(counter++);
        const auto t = Clock::now();
        auto r = client.Post(target, body, "text/plain");
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t).count();
        if (r && r->status == 202) {
          mine.push_back(ms);
        } else if (++refused <= 3) {
          std::fprintf(stderr, "answer other than 202 at %.3f s after %.1f ms: %s\n",
                       std::chrono::duration<double>(Clock::now() - started).count(), ms,
                       r ? std::to_string(r->status).c_str() : httplib::to_string(r.error()).c_str());
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));  // the measured interval
  stop = true;
  for (auto& t : clients) t.join();

  WebhookLoad load;
  load.elapsed_s = std::chrono::duration<double>(Clock::now() - started).count();
  for (size_t c = 0; c < latencies.size(); ++c) {
    load.accepted_ms.insert(load.accepted_ms.end(), latencies[c].begin(), latencies[c].end());
    load.other += others[c];
  }
  std::sort(load.accepted_ms.begin(), load.accepted_ms.end());
  return load;
}

// "accepted (202): ..." and "202 latency ms: ..." of a run.
inline void print_webhook_load(const WebhookLoad& load) {
  const auto& all = load.accepted_ms;
  std::printf("accepted (202): %zu in %.1f s = %.0f/s; other answers: %llu\n", all.size(), load.elapsed_s,
              static_cast<double>(all.size()) / load.elapsed_s, static_cast<unsigned long long>(load.other));
  std::printf("202 latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n", percentile(all, 0.5),
              percentile(all, 0.9), percentile(all, 0.99), percentile(all, 0.999), all.empty() ? 0 : all.back());
}

}  // namespace ws::bench
