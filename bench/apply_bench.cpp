// The reconciler's side of an import, alone: what applying a full import costs per item, fresh
// and again with nothing changed (issue 10: a full re-import with nothing changed should cost at
// most half a fresh one). Four fake servers (Plex, two Jellyfin, Emby) are walked once by the
// real backend clients and their pages kept as the MessagePack batches a fetcher sends; then one
// thread does what the reconciler does with them — reads each batch's items, applies them
// (apply_items, every batch's server listing its keys for rule 8) in one write transaction per
// `--group` batches, and plans each server's pruning (ImportPruning::plan) — twice: a fresh
// import into an empty store, then a full re-import of the same pages. The thread's CPU time is
// measured per step (no ZeroMQ, no page parsing: those are the fetchers' and the broker's).
//
//   ws_apply_bench [--movies 2000] [--shows 100] [--seasons 7] [--episodes 100] [--group 4]
//                  [--rounds 1] [--reimports 1] [--full-mapper]
// --rounds repeats the whole (a fresh store each time); --reimports the re-import (to profile it).
// --full-mapper turns the unchanged-item fast path off (ApplyOptions::skip_unchanged), to
// compare. STYLE 16: the setup and the load are printed with the numbers.
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "bench_report.h"
#include "fake_process.h"
#include "ws/backend_client.h"
#include "ws/batch_applier.h"
#include "ws/import_pruning.h"
#include "ws/media_item_msgpack.h"
#include "ws/store.h"

namespace {

struct Args {
  std::string movies = "2000", shows = "100", seasons = "7", episodes = "100";
  int group = 4;
  int rounds = 1;
  int reimports = 1;
  bool full_mapper = false;
};

double thread_cpu() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

struct Batch {
  std::string server;
  std::string items_msgpack;
};

// Every page of one fake server, as the batches a fetcher would send.
std::vector<Batch> fetch_all(const std::string& type, const std::string& name, const Args& a, uint64_t& items) {
  auto fake = ws::fake::FakeProcess::start(
      type, {"--catalog", "1", "--movies", a.movies, "--shows", a.shows, "--seasons", a.seasons, "--episodes",
             a.episodes, "--state-seed", "1", "--watched", "30", "--progress", "5"});
  const auto info = fake.get_json("/__fake/info");
  ws::ServerConfig server;
  server.name = name;
  server.type = *ws::parse_server_type(type);
  server.url = fake.url();
  server.token = fake.token();
  server.user = info.at("user_id").get<std::string>();
  auto client = ws::make_backend_client(server, ws::BackendOptions{});
  auto libraries = client->libraries();
  if (!libraries) throw std::runtime_error(libraries.error().message);
  std::vector<Batch> batches;
  for (const auto& library : *libraries) {
    auto walked = ws::for_each_page(*client, library, 500, [&](ws::ItemPage& page) -> ws::Result<ws::Ok> {
      Batch b{name, {}};
      ws::append_items_msgpack(b.items_msgpack, page.items);
      items += page.items.size();
      batches.push_back(std::move(b));
      return ws::Ok{};
    });
    if (!walked) throw std::runtime_error(walked.error().message);
  }
  return batches;
}

struct Times {
  double read = 0, apply = 0, commit = 0, prune = 0;
  ws::ApplyCounts counts;
  double total() const { return read + apply + commit + prune; }
};

// One full import of `batches` (servers interleaved page by page, as side-by-side fetchers
// deliver them) at `now`, the servers last synced at `last_sync`.
Times import_once(ws::Store& store, const std::vector<Batch>& batches, const std::vector<std::string>& servers,
                  int64_t now, int64_t last_sync, const Args& a) {
  Times t;
  std::map<std::string, ws::ImportPruning> pruning;
  for (const auto& s : servers) pruning.emplace(s, ws::ImportPruning(s));
  for (size_t i = 0; i < batches.size();) {
    auto write = store.begin_write();
    for (int g = 0; g < a.group && i < batches.size(); ++g, ++i) {
      double c0 = thread_cpu();
      ws::ItemsReadReport report;
      auto items = ws::read_items_msgpack(batches[i].items_msgpack, report);
      if (!items) throw std::runtime_error(items.error().message);
      for (auto& item : *items) item.server = batches[i].server;
      double c1 = thread_cpu();
      ws::ApplyOptions o;
      o.now = now;
      o.changed_at = now;
      o.last_sync = last_sync;
      o.listed_keys = pruning.at(batches[i].server).listed_keys();
      o.skip_unchanged = !a.full_mapper;
      t.counts += ws::apply_items(write, *items, o);
      t.read += c1 - c0;
      t.apply += thread_cpu() - c1;
    }
    double c0 = thread_cpu();
    if (auto ok = write.commit(); !ok) throw std::runtime_error(ok.error().message);
    t.commit += thread_cpu() - c0;
  }
  double c0 = thread_cpu();
  auto write = store.begin_write();
  for (const auto& s : servers) {
    auto plan = pruning.at(s).plan(store, ws::ImportPruning::Guard{});
    ws::ImportPruning::apply(write, plan);
    write.set_last_sync(s, ws::SyncDirection::import, now);
  }
  if (auto ok = write.commit(); !ok) throw std::runtime_error(ok.error().message);
  t.prune = thread_cpu() - c0;
  return t;
}

void print(const char* label, const Times& t, uint64_t items) {
  const double per = 1e6 / static_cast<double>(items);
  std::printf("  %-28s CPU %5.2f s = %5.2f us/item (read items %4.2f us, apply %5.2f us, commit %4.2f us, "
              "prune plan %4.2f us); matched %llu (unchanged, not mapped: %llu), created %llu, written %llu\n",
              label, t.total(), t.total() * per, t.read * per, t.apply * per, t.commit * per, t.prune * per,
              static_cast<unsigned long long>(t.counts.matched), static_cast<unsigned long long>(t.counts.unchanged),
              static_cast<unsigned long long>(t.counts.created),
              static_cast<unsigned long long>(t.counts.written));
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    const bool has_value = i + 1 < argc;
    if (k == "--full-mapper") a.full_mapper = true;
    else if (k == "--movies" && has_value) a.movies = argv[++i];
    else if (k == "--shows" && has_value) a.shows = argv[++i];
    else if (k == "--seasons" && has_value) a.seasons = argv[++i];
    else if (k == "--episodes" && has_value) a.episodes = argv[++i];
    else if (k == "--group" && has_value) a.group = std::max(1, std::stoi(argv[++i]));
    else if (k == "--rounds" && has_value) a.rounds = std::max(1, std::stoi(argv[++i]));
    else if (k == "--reimports" && has_value) a.reimports = std::max(1, std::stoi(argv[++i]));
    else {
      std::cerr << "usage: ws_apply_bench [--movies N] [--shows N] [--seasons N] [--episodes N] [--group N] "
                   "[--rounds N] [--reimports N] [--full-mapper]\n";
      return 2;
    }
  }
  std::printf("ws_apply_bench: %s, %ld cores, load average %s; 4 fakes (plex, jf1, jf2, emby) of %s movies + %s "
              "shows x %s seasons x %s episodes; %d batches of 500 per commit; %s\n",
              ws::bench::cpu_model().c_str(), sysconf(_SC_NPROCESSORS_ONLN), ws::bench::load_average().c_str(),
              a.movies.c_str(), a.shows.c_str(), a.seasons.c_str(), a.episodes.c_str(), a.group,
              a.full_mapper ? "full mapper for every item" : "unchanged items skip the mapper");
  try {
    const std::vector<std::pair<std::string, std::string>> servers_of = {
        {"plex", "plex"}, {"jellyfin", "jf1"}, {"jellyfin", "jf2"}, {"emby", "emby"}};
    std::vector<std::vector<Batch>> per_server;
    std::vector<std::string> servers;
    uint64_t items = 0;
    for (const auto& [type, name] : servers_of) {
      per_server.push_back(fetch_all(type, name, a, items));
      servers.push_back(name);
    }
    std::vector<Batch> batches;  // page by page, the servers in turn
    for (size_t page = 0, left = 1; left > 0; ++page) {
      left = 0;
      for (auto& pages : per_server)
        if (page < pages.size()) {
          batches.push_back(pages[page]);
          ++left;
        }
    }
    std::printf("  %llu items in %zu batches\n", static_cast<unsigned long long>(items), batches.size());
    for (int round = 0; round < a.rounds; ++round) {
      const auto dir = std::filesystem::temp_directory_path() / ("ws-apply-bench-" + std::to_string(::getpid()));
      std::filesystem::remove_all(dir);
      ws::Store::Options options;
      options.dir = dir;
      auto store = ws::Store::open(options);
      if (!store) throw std::runtime_error(store.error().message);
      print("fresh import", import_once(**store, batches, servers, 1'800'000'000, 0, a), items);
      for (int again = 0; again < a.reimports; ++again) {
        const int64_t at = 1'800'000'000 + 3'600 * (again + 1);
        print("full re-import, no change", import_once(**store, batches, servers, at, at - 3'600, a), items);
      }
      store->reset();
      std::filesystem::remove_all(dir);
    }
  } catch (const std::exception& e) {
    std::cerr << "ws_apply_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
