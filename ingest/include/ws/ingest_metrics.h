// Ingest's numbers for GET /metrics (Prometheus text format 0.0.4). Counters and histograms are
// lock-free atomics: HTTP threads and the forwarder update them, /metrics reads them. Gauges that
// belong to someone else (spool depth, reconciler connected) are passed in when rendering.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ws/config.h"

namespace ws {

// Cumulative histogram with fixed bounds in seconds.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                  0.25,  0.5,    1,     2.5,  5,     10,  60};
  void observe(double seconds);
  // The upper bound of the bucket holding quantile q (0..1): "at most this many seconds"; the
  // last finite bound when it falls in +Inf; 0 with no observation.
  double quantile(double q) const;
  // Lines `<name>_bucket{le=...}`, `<name>_sum`, `<name>_count`.
  void render(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};  // last: +Inf only
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

struct IngestGauges {
  size_t spool_depth = 0;
  size_t spool_max = 0;
  size_t spool_failed = 0;
  bool spool_writable = true;
  bool reconciler_connected = false;
  size_t in_flight = 0;
};

class IngestMetrics {
 public:
  // One answered request: `type` as asked (nullopt when missing or unknown), the HTTP status.
  void count_request(std::optional<ServerType> type, int status);
  uint64_t requests(std::optional<ServerType> type, int status) const;

  std::atomic<uint64_t> events_acked{0};     // ack ok:true: left the spool
  std::atomic<uint64_t> events_refused{0};   // ack ok:false (each refusal)
  std::atomic<uint64_t> events_failed{0};    // moved to the failed list by this process
  std::atomic<uint64_t> events_resent{0};    // sent again after a silence or a reconciler restart
  LatencyHistogram apply_latency;            // 202 -> the reconciler's ack
  LatencyHistogram spool_commit;             // request read -> on disk (the wait before a 202)

  std::string render(const IngestGauges& gauges) const;

 private:
  static constexpr std::array<int, 8> kStatuses{200, 202, 400, 401, 404, 413, 500, 503};
  // [type: plex, jellyfin, emby, none][status index; last = any other]
  std::array<std::array<std::atomic<uint64_t>, kStatuses.size() + 1>, 4> requests_{};
};

}  // namespace ws
