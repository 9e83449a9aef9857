// Fetch speed of the backend clients against ws-fakeserver: one client thread walks every movie
// and episode of one fake server, page by page, and reports items per second (STYLE 16: the setup
// is printed with the numbers).
//
//   ws_fetch_bench [--type plex|jellyfin|emby|all] [--movies 2000] [--shows 700] [--seasons 10]
//                  [--episodes 10] [--page-size 500] [--page-max 0] [--latency-ms 0]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "fake_process.h"
#include "ws/backend_client.h"

namespace {

struct Args {
  std::string type = "all";
  std::string movies = "2000", shows = "700", seasons = "10", episodes = "10";
  int page_size = 500;
  std::string page_max = "0", latency_ms = "0";
};

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown cpu";
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

long peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int run(const std::string& type, const Args& a) {
  const auto boot = std::chrono::steady_clock::now();
  auto fake = ws::fake::FakeProcess::start(
      type, {"--catalog", "1", "--movies", a.movies, "--shows", a.shows, "--seasons", a.seasons, "--episodes", a.episodes,
             "--state-seed", "1", "--watched", "30", "--progress", "5", "--page-max", a.page_max, "--latency-ms",
             a.latency_ms});
  const double ready_s = seconds_since(boot);
  const auto info = fake.get_json("/__fake/info");

  ws::ServerConfig server;
  server.name = "bench_" + type;
  server.type = *ws::parse_server_type(type);
  server.url = fake.url();
  server.token = fake.token();
  server.user = info.at("user_id").get<std::string>();
  ws::BackendOptions options;
  auto client = ws::make_backend_client(server, options);

  auto libraries = client->libraries();
  if (!libraries) {
    std::cerr << libraries.error().message << "\n";
    return 1;
  }
  int64_t total_items = 0;
  double total_s = 0;
  const double cpu0 = cpu_seconds();
  for (const auto& library : *libraries) {
    const auto t0 = std::chrono::steady_clock::now();
    auto walked = ws::for_each_page(*client, library, a.page_size, [](ws::ItemPage&) -> ws::Result<ws::Ok> { return ws::Ok{}; });
    const double s = seconds_since(t0);
    if (!walked) {
      std::cerr << walked.error().message << "\n";
      return 1;
    }
    total_items += *walked;
    total_s += s;
    std::printf("  %-9s %-8s %7lld items in %6.2f s = %8.0f items/s\n", type.c_str(),
                library.kind == ws::MediaType::movie ? "movies" : "episodes", static_cast<long long>(*walked), s,
                static_cast<double>(*walked) / s);
  }
  const double cpu = cpu_seconds() - cpu0;
  const auto& stats = client->stats();
  std::printf("  %-9s total    %7lld items in %6.2f s = %8.0f items/s  (%lld requests, %.1f MB received; client CPU %.2f s"
              " = %.0f items per CPU-second; fake ready in %.2f s; peak RSS %ld MB)\n",
              type.c_str(), static_cast<long long>(total_items), total_s, static_cast<double>(total_items) / total_s,
              static_cast<long long>(stats.requests), static_cast<double>(stats.bytes) / 1e6, cpu,
              static_cast<double>(total_items) / cpu, ready_s, peak_rss_mb());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--type") a.type = v;
    else if (k == "--movies") a.movies = v;
    else if (k == "--shows") a.shows = v;
    else if (k == "--seasons") a.seasons = v;
    else if (k == "--episodes") a.episodes = v;
    else if (k == "--page-size") a.page_size = std::stoi(v);
    else if (k == "--page-max") a.page_max = v;
    else if (k == "--latency-ms") a.latency_ms = v;
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  std::printf("ws_fetch_bench: %s, %ld cores; one client thread; fake: %s movies + %s shows x %s seasons x %s episodes;"
              " page size %d, fake page cap %s, latency %s ms\n",
              cpu_model().c_str(), sysconf(_SC_NPROCESSORS_ONLN), a.movies.c_str(), a.shows.c_str(), a.seasons.c_str(),
              a.episodes.c_str(), a.page_size, a.page_max.c_str(), a.latency_ms.c_str());
  std::vector<std::string> types = a.type == "all" ? std::vector<std::string>{"plex", "jellyfin", "emby"}
                                                   : std::vector<std::string>{a.type};
  for (const auto& type : types)
    if (int rc = run(type, a); rc != 0) return rc;
  return 0;
}
