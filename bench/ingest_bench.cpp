// Webhook intake speed of ws-ingest with its durable spool: keep-alive HTTP clients post Jellyfin
// progress webhooks as fast as ingest answers; every 202 means the event was fsync'ed into the
// spool. A ZeroMQ ROUTER in this process stands in for the reconciler and acks every event, so
// the spool drains as it fills (part 1 of issue 9; the figure with the real reconciler applying
// the events comes with part 2). Prints the setup with the numbers (STYLE 16).
//
//   ws_ingest_bench [--connections 16] [--seconds 10] [--http-threads 32] [--dir PATH]
//
// The spool goes to --dir (default ./ingest-bench-data, removed afterwards): keep it on a real
// disk, since on tmpfs an fsync costs nothing.
#include <fcntl.h>
#include <sys/resource.h>
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
#include "ingest_testutil.h"
#include "ws/ingest.h"

namespace {

using Clock = std::chrono::steady_clock;
using ws::bench::cpu_model;
using ws::bench::load_average;
using ws::bench::post_webhooks;
using ws::bench::print_webhook_load;
using ws::bench::WebhookLoad;

struct Args {
  int connections = 16;
  int seconds = 10;
  int http_threads = 32;
  std::string dir = "ingest-bench-data";
};

// The median cost of one small write + fdatasync in `dir`, in ms (what one spool commit pays).
double fsync_ms(const std::filesystem::path& dir) {
  const auto file = dir / "fsync-probe";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return -1;
  std::vector<double> times;
  char block[4096] = {1};
  for (int i = 0; i < 200; ++i) {
    const auto t = Clock::now();
    if (::pwrite(fd, block, sizeof block, (i % 16) * 4096) < 0 || ::fdatasync(fd) != 0) break;
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
  }
  ::close(fd);
  std::filesystem::remove(file);
  if (times.empty()) return -1;
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

std::string progress_body(uint64_t n) {
  return R"({"NotificationType":"UserDataSaved","SaveReason":"UpdateUserData","ServerId":"0f1e2d3c4b5a69788796a5b4c3d2e1f0",)"
         R"("ServerName":"jelly","UserId":"6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d","NotificationUsername":"alice",)"
         R"("ItemId":"00112233445566778899aabbccddeeff","ItemType":"Movie","Name":"The Matrix","Year":1999,)"
         R"("Provider_imdb":"tt0133093","Provider_tmdb":"603","Played":false,"PlayCount":0,"PlaybackPositionTicks":)" +
         std::to_string(600000000 + n * 10000) + "}";
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--connections") a.connections = std::stoi(value);
    else if (flag == "--seconds") a.seconds = std::stoi(value);
    else if (flag == "--http-threads") a.http_threads = std::stoi(value);
    else if (flag == "--dir") a.dir = value;
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  const std::filesystem::path root = std::filesystem::absolute(a.dir);
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root / "config");
  std::ofstream(root / "config" / "servers.yaml")
      << "my_jf:\n  type: jellyfin\n  url: 'http://127.0.0.1:1'\n  token: t\n"
         "  uuid: '0f1e2d3c4b5a69788796a5b4c3d2e1f0'\n  user: '6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d'\n";
  const double fsync = fsync_ms(root);

  zmq::context_t context;
  ws::testing::ReconcilerDouble reconciler(context);
  ws::IngestOptions o;
  o.paths.root = root;
  o.config.webhook.apikey = "bench-key";
  o.config.webhook.listen = "127.0.0.1:0";
  o.events_endpoint = reconciler.endpoint();
  o.http_threads = a.http_threads;
  auto made = ws::Ingest::create(context, o);
  if (!made) {
    std::cerr << made.error().message << "\n";
    return 1;
  }
  auto& ingest = *made.value();
  std::thread serving([&] { ingest.run(); });
  const int port = ingest.listening_port();

  const WebhookLoad load = post_webhooks(port, "/?type=jellyfin&apikey=bench-key", a.connections, a.seconds,
                                         [](uint64_t n) { return progress_body(n); });

  // Everything accepted must reach the reconciler and leave the spool.
  const auto drain = Clock::now();
  while (ingest.spool().depth() > 0 && Clock::now() - drain < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const double drain_s = std::chrono::duration<double>(Clock::now() - drain).count();

  const auto& m = ingest.metrics();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);

  std::printf("ws_ingest_bench: %s, %u cores, load average %s at the end\n", cpu_model().c_str(),
              std::thread::hardware_concurrency(), load_average().c_str());
  std::printf("setup: %d keep-alive connections, %d ingest HTTP threads, %d s, Jellyfin progress webhooks (%zu bytes),\n"
              "       spool in %s (fdatasync median %.3f ms), reconciler double acking every event\n",
              a.connections, a.http_threads, a.seconds, progress_body(0).size(), root.string().c_str(), fsync);
  print_webhook_load(load);
  std::printf("acked by the reconciler double: %llu; spool drained %.2f s after the load stopped (depth %zu, failed %zu)\n",
              static_cast<unsigned long long>(m.events_acked.load()), drain_s, ingest.spool().depth(),
              ingest.spool().failed_count());
  std::printf("apply latency (202 -> ack) p50 <= %.3f s, p99 <= %.3f s; spool commit p50 <= %.4f s, p99 <= %.4f s\n",
              m.apply_latency.quantile(0.5), m.apply_latency.quantile(0.99), m.spool_commit.quantile(0.5),
              m.spool_commit.quantile(0.99));
  std::printf("process CPU %.1f s user + %.1f s system, peak RSS %ld MB\n",
              static_cast<double>(usage.ru_utime.tv_sec) + static_cast<double>(usage.ru_utime.tv_usec) / 1e6,
              static_cast<double>(usage.ru_stime.tv_sec) + static_cast<double>(usage.ru_stime.tv_usec) / 1e6,
              usage.ru_maxrss / 1024);
  ingest.stop();
  serving.join();
  made.value().reset();
  std::filesystem::remove_all(root);
  return 0;
}
