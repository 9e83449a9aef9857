#include "ws/ingest_metrics.h"

#include <cstdio>

namespace ws {
namespace {

size_t type_index(std::optional<ServerType> type) { return type ? static_cast<size_t>(*type) : 3; }

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void value(std::string& out, std::string_view name, uint64_t v) {
  out.append(name).append(" ").append(std::to_string(v)).append("\n");
}

}  // namespace

void LatencyHistogram::observe(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

double LatencyHistogram::quantile(double q) const {
  const uint64_t total = count_.load();
  if (total == 0) return 0;
  const auto rank = static_cast<uint64_t>(q * static_cast<double>(total - 1)) + 1;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load();
    if (cumulative >= rank) return kBounds[i];
  }
  return kBounds.back();
}

void LatencyHistogram::render(std::string& out, std::string_view name, std::string_view help) const {
  metric(out, name, "histogram", help);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out.append(name).append("_bucket{le=\"").append(number(kBounds[i])).append("\"} ");
    out.append(std::to_string(cumulative)).append("\n");
  }
  cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  out.append(name).append("_bucket{le=\"+Inf\"} ").append(std::to_string(cumulative)).append("\n");
  out.append(name).append("_sum ").append(number(static_cast<double>(sum_us_.load()) / 1e6)).append("\n");
  out.append(name).append("_count ").append(std::to_string(count_.load())).append("\n");
}

void IngestMetrics::count_request(std::optional<ServerType> type, int status) {
  size_t s = 0;
  while (s < kStatuses.size() && kStatuses[s] != status) ++s;
  requests_[type_index(type)][s].fetch_add(1, std::memory_order_relaxed);
}

uint64_t IngestMetrics::requests(std::optional<ServerType> type, int status) const {
  size_t s = 0;
  while (s < kStatuses.size() && kStatuses[s] != status) ++s;
  return requests_[type_index(type)][s].load();
}

std::string IngestMetrics::render(const IngestGauges& g) const {
  std::string out;
  metric(out, "ws_ingest_requests_total", "counter", "Webhook requests answered, by ?type= and HTTP status.");
  static constexpr std::array<std::string_view, 4> kTypes{"plex", "jellyfin", "emby", "none"};
  for (size_t t = 0; t < kTypes.size(); ++t) {
    for (size_t s = 0; s <= kStatuses.size(); ++s) {
      const uint64_t n = requests_[t][s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out.append("ws_ingest_requests_total{type=\"").append(kTypes[t]).append("\",status=\"");
      out.append(s < kStatuses.size() ? std::to_string(kStatuses[s]) : "other").append("\"} ");
      out.append(std::to_string(n)).append("\n");
    }
  }
  metric(out, "ws_ingest_spool_depth", "gauge", "Accepted events waiting for the reconciler's ack.");
  value(out, "ws_ingest_spool_depth", g.spool_depth);
  metric(out, "ws_ingest_spool_max", "gauge", "webhook.spool_max: the depth at which ingest answers 503.");
  value(out, "ws_ingest_spool_max", g.spool_max);
  metric(out, "ws_ingest_spool_failed", "gauge", "Events the reconciler refused webhook.max_attempts times, kept in the spool's failed list.");
  value(out, "ws_ingest_spool_failed", g.spool_failed);
  metric(out, "ws_ingest_spool_writable", "gauge", "1 when the last spool commit succeeded.");
  value(out, "ws_ingest_spool_writable", g.spool_writable ? 1 : 0);
  metric(out, "ws_ingest_reconciler_connected", "gauge", "1 when the reconciler answered within the liveness interval.");
  value(out, "ws_ingest_reconciler_connected", g.reconciler_connected ? 1 : 0);
  metric(out, "ws_ingest_events_in_flight", "gauge", "Events sent to the reconciler and not acked yet.");
  value(out, "ws_ingest_events_in_flight", g.in_flight);
  metric(out, "ws_ingest_events_acked_total", "counter", "Events the reconciler applied and acked.");
  value(out, "ws_ingest_events_acked_total", events_acked.load());
  metric(out, "ws_ingest_events_refused_total", "counter", "Refusals (ack ok:false) from the reconciler.");
  value(out, "ws_ingest_events_refused_total", events_refused.load());
  metric(out, "ws_ingest_events_failed_total", "counter", "Events moved to the failed list by this process.");
  value(out, "ws_ingest_events_failed_total", events_failed.load());
  metric(out, "ws_ingest_events_resent_total", "counter", "Events sent again after the reconciler went silent or restarted.");
  value(out, "ws_ingest_events_resent_total", events_resent.load());
  apply_latency.render(out, "ws_ingest_apply_latency_seconds", "From the 202 to the reconciler's ack of the event.");
  spool_commit.render(out, "ws_ingest_spool_commit_seconds", "From the request read to the event on disk (the wait before a 202).");
  return out;
}

}  // namespace ws
