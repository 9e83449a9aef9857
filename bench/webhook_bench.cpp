// Webhooks through the real stack (issue 9): the ws-ingest, ws-reconciler, ws-fetcher and
// ws-exporter binaries of this build against ws-fakeserver processes, on loopback, in a temporary
// data folder. Two measures, each printed with its setup (STYLE 16):
//
//   intake   keep-alive clients post Jellyfin progress webhooks (UserDataSaved, PlaybackProgress)
//            about items the state knows, as fast as ingest answers, for --seconds; the reconciler
//            applies them as they come (one server: no pushes). Accepted (202) per second, the
//            202's latency, how long the spool took to drain after the load, and ingest's
//            202-to-ack histogram.
//   push     one at a time, Jellyfin plays an item and sends its webhook; the time from the POST
//            to the write of that item seen in the Emby fake's /__fake/writes (median, p99).
//
//   ws_webhook_bench [--connections 16] [--seconds 10] [--pushes 200] [--items 3000]
//
// The data folder goes to $TMPDIR (the spool and the state commit there: keep it on a real disk
// for figures that mean anything, e.g. TMPDIR=$PWD).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "bench_report.h"
#include "webhook_load.h"
#include "e2e_fakes.h"
#include "e2e_harness.h"
#include "e2e_ingest.h"
#include "e2e_stack.h"

namespace {

using namespace ws::e2e;
using Clock = std::chrono::steady_clock;
using ws::bench::cpu_model;
using ws::bench::load_average;
using ws::bench::percentile;
using ws::bench::post_webhooks;
using ws::bench::print_webhook_load;
using ws::bench::WebhookLoad;
using nlohmann::json;

constexpr const char* kKey = "bench-webhook-key";

struct Args {
  int connections = 16;
  int seconds = 10;
  int pushes = 200;
  int items = 3000;
};

// The upper bound of the histogram bucket holding quantile q of `name` in ingest's /metrics.
double histogram_quantile(const std::map<std::string, double>& metrics, const std::string& name, double q) {
  const auto count_it = metrics.find(name + "_count");
  if (count_it == metrics.end() || count_it->second == 0) return 0;
  std::vector<std::pair<double, double>> buckets;  // le, cumulative count
  const std::string prefix = name + "_bucket{le=\"";
  for (const auto& [key, value] : metrics) {
    if (key.rfind(prefix, 0) != 0) continue;
    const std::string le = key.substr(prefix.size(), key.size() - prefix.size() - 2);
    if (le != "+Inf") buckets.emplace_back(std::stod(le), value);
  }
  std::sort(buckets.begin(), buckets.end());
  for (const auto& [le, cumulative] : buckets)
    if (cumulative >= q * count_it->second) return le;
  return buckets.empty() ? 0 : buckets.back().first;
}

// A Jellyfin progress save as the webhook plugin sends it ("Send All Properties", trimmed).
std::string progress_body(const std::string& server_id, const std::string& user_id, const FakeItem& item,
                          int64_t position_ms) {
  json j = {{"NotificationType", "UserDataSaved"}, {"SaveReason", "PlaybackProgress"},
            {"ServerId", server_id},               {"ServerName", "bench"},
            {"UserId", user_id},                   {"NotificationUsername", "bench"},
            {"ItemId", item.id},                   {"ItemType", item.type == "movie" ? "Movie" : "Episode"},
            {"Name", item.title},                  {"Played", false},
            {"PlayCount", 0},                      {"PlaybackPositionTicks", position_ms * 10'000}};
  for (const auto& [source, value] : item.guids) j["Provider_" + source] = value;
  return j.dump();
}

void intake(const Args& a) {
  auto fakes = FakeSet::start({{"jellyfin", "jellyfin", {"--state-seed", "1", "--watched", "0"}}},
                              {"--catalog", "21", "--movies", std::to_string(a.items), "--shows", "0"});
  DataFolder folder("bench-intake");
  const int port = ws::fake::free_port();
  folder.write_servers(fakes.servers());
  folder.write_config(webhook_config(kKey, port));
  Stack stack(folder, 1, 1);
  const auto import_start = Clock::now();
  if (auto r = folder.watchstate({"state:import"}); r.exit_code != 0) throw std::runtime_error(r.describe());
  const double import_s = std::chrono::duration<double>(Clock::now() - import_start).count();
  IngestProcess ingest(folder, port, kKey);
  while (!ingest.healthz().at("reconciler").value("connected", false)) std::this_thread::sleep_for(std::chrono::milliseconds(20));

  const json info = fakes["jellyfin"].get_json("/__fake/info");
  const std::string server_id = info.at("server_id"), user_id = info.at("user_id");
  // Items with external ids: one without is never in the state, and its event would wait for a
  // one-item fetch.
  std::vector<FakeItem> items;
  for (auto& item : fake_items(fakes["jellyfin"]))
    if (!item.guids.empty()) items.push_back(std::move(item));

  // Each item moves 10 s further each time it comes round: every event is a real change.
  const WebhookLoad load =
      post_webhooks(port, "/?type=jellyfin&apikey=" + std::string(kKey), a.connections, a.seconds, [&](uint64_t n) {
        const FakeItem& item = items[n % items.size()];
        return progress_body(server_id, user_id, item, 60'000 + int64_t(n / items.size()) * 10'000);
      });
  const auto drain = Clock::now();
  size_t depth = 0;
  while ((depth = ingest.spool_depth()) > 0 && Clock::now() - drain < std::chrono::seconds(300))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double drain_s = std::chrono::duration<double>(Clock::now() - drain).count();

  const auto metrics = ingest.metrics();
  std::printf("intake: %d keep-alive clients, %d s, Jellyfin progress webhooks on %zu known items (one server: no pushes);\n"
              "        import of the items took %.1f s; data folder %s\n",
              a.connections, a.seconds, items.size(), import_s, folder.root().string().c_str());
  print_webhook_load(load);
  std::printf("applied: spool drained %.2f s after the load stopped (depth %zu); acked %.0f, refused %.0f, failed %zu\n",
              drain_s, depth, metrics.count("ws_ingest_events_acked_total") ? metrics.at("ws_ingest_events_acked_total") : 0.0,
              metrics.count("ws_ingest_events_refused_total") ? metrics.at("ws_ingest_events_refused_total") : 0.0,
              ingest.spool_failed());
  std::printf("202 -> reconciler's ack (ingest histogram): p50 <= %.3f s, p99 <= %.3f s\n",
              histogram_quantile(metrics, "ws_ingest_apply_latency_seconds", 0.5),
              histogram_quantile(metrics, "ws_ingest_apply_latency_seconds", 0.99));
  for (const auto& p : stack.stop()) std::printf("problem: %s\n", p.c_str());
}

void push(const Args& a) {
  auto fakes = FakeSet::start({{"jellyfin", "jellyfin", {"--state-seed", "1", "--watched", "0"}},
                               {"emby", "emby", {"--state-seed", "1", "--watched", "0"}}},
                              {"--catalog", "22", "--movies", std::to_string(std::max(a.pushes + 50, 100)), "--shows", "0"});
  DataFolder folder("bench-push");
  const int port = ws::fake::free_port();
  folder.write_servers(fakes.servers());
  folder.write_config(webhook_config(kKey, port));
  Stack stack(folder, 1, 1);
  if (auto r = folder.watchstate({"state:import"}); r.exit_code != 0) throw std::runtime_error(r.describe());
  IngestProcess ingest(folder, port, kKey);
  while (!ingest.healthz().at("reconciler").value("connected", false)) std::this_thread::sleep_for(std::chrono::milliseconds(20));

  const auto groups = match_across(fakes.snapshot());
  httplib::Client emby("127.0.0.1", fakes["emby"].port());
  emby.set_keep_alive(true);
  std::vector<double> latencies;
  size_t missed = 0;
  const std::string url = ingest.webhook_url("jellyfin");
  for (const auto& g : groups) {
    if (static_cast<int>(latencies.size() + missed) >= a.pushes) break;
    if (g.ids.size() != 2) continue;
    const std::string& jf = g.ids.at("jellyfin");
    const std::string& em = g.ids.at("emby");
    fakes["jellyfin"].post_json("/__fake/act", {{"item", jf}, {"action", "play"}});
    const auto t = Clock::now();
    const json answer = fakes["jellyfin"].post_json("/__fake/webhook", {{"url", url}, {"event", "UserDataSaved"}, {"item", jf}});
    if (answer.value("status", 0) != 202) {
      ++missed;
      continue;
    }
    bool seen = false;
    while (!seen && Clock::now() - t < std::chrono::seconds(10)) {
      auto r = emby.Get("/__fake/writes");
      if (r && r->status == 200)
        for (const auto& w : parse_writes("emby", json::parse(r->body)))
          if (w.item == em && w.action == "play") seen = true;
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (seen) latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    else ++missed;
  }
  std::sort(latencies.begin(), latencies.end());
  std::printf("push: Jellyfin plays an item and sends UserDataSaved (TogglePlayed); time from the POST (through the fake)\n"
              "      to Emby's /__fake/writes showing the play, one at a time (polled every 1 ms)\n");
  std::printf("webhook -> other server: %zu measured, %zu missed (no 202 or no write within 10 s)\n", latencies.size(), missed);
  std::printf("latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", percentile(latencies, 0.5),
              percentile(latencies, 0.9), percentile(latencies, 0.99), latencies.empty() ? 0 : latencies.back());
  for (const auto& p : stack.stop()) std::printf("problem: %s\n", p.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--connections") a.connections = std::stoi(value);
    else if (flag == "--seconds") a.seconds = std::stoi(value);
    else if (flag == "--pushes") a.pushes = std::stoi(value);
    else if (flag == "--items") a.items = std::stoi(value);
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  std::printf("ws_webhook_bench: %s, %u cores, load average %s at the start\n", cpu_model().c_str(),
              std::thread::hardware_concurrency(), load_average().c_str());
  try {
    intake(a);
    push(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ws_webhook_bench: %s\n", e.what());
    return 1;
  }
  std::printf("load average %s at the end\n", load_average().c_str());
  return 0;
}
