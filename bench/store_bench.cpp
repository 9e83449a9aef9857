// ws_store_bench: time to put N records into a fresh store in batches, and the resulting file
// size. Run by hand: ws_store_bench [--records N] [--batch B] [--dir PATH] [--keep]
// Records look like an import's: a movie or an episode with guids, series ids and one server's
// metadata, so every put also writes its pointers, backend id and changes entry.
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "ws/store.h"

namespace {

ws::Record make_record(int i) {
  ws::Record r;
  bool is_movie = i % 36 == 0;  // the seed's mix: 2,000 movies to 70,000 episodes
  r.type = is_movie ? ws::MediaType::movie : ws::MediaType::episode;
  r.title = is_movie ? "Some Movie Title " + std::to_string(i) : "Some Series " + std::to_string(i / 100);
  r.year = 1990 + i % 30;
  r.watched = i % 3 == 0;
  r.updated = 1'600'000'000 + i;
  r.updated_at = 1'700'000'000 + i;
  r.guids["imdb"] = "tt" + std::to_string(1'000'000 + i);
  r.guids["tmdb"] = std::to_string(500'000 + i);
  if (!is_movie) {
    r.season = 1 + (i / 20) % 10;
    r.episode = 1 + i % 20;
    r.parent["tvdb"] = std::to_string(70'000 + i / 100);
    r.parent["tmdb"] = std::to_string(90'000 + i / 100);
  }
  auto& meta = r.metadata["plex_main"];
  meta.item_id = std::to_string(100'000 + i);
  meta.library_id = "2";
  meta.watched = r.watched;
  meta.played_at = r.watched ? r.updated : 0;
  meta.added_at = 1'500'000'000 + i;
  return r;
}

std::string machine() {
  utsname u{};
  ::uname(&u);
  return std::string(u.sysname) + " " + u.release + " " + u.machine + ", " +
         std::to_string(::sysconf(_SC_NPROCESSORS_ONLN)) + " cpus";
}

}  // namespace

int main(int argc, char** argv) {
  int records = 100'000;
  int batch_size = 1'000;
  bool keep = false;
  std::filesystem::path dir;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--records" && i + 1 < argc) records = std::atoi(argv[++i]);
    else if (arg == "--batch" && i + 1 < argc) batch_size = std::atoi(argv[++i]);
    else if (arg == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (arg == "--keep") keep = true;
    else {
      std::fprintf(stderr, "usage: ws_store_bench [--records N] [--batch B] [--dir PATH] [--keep]\n");
      return 2;
    }
  }
  if (records <= 0 || batch_size <= 0) {
    std::fprintf(stderr, "ws_store_bench: --records and --batch must be positive\n");
    return 2;
  }
  if (dir.empty()) dir = std::filesystem::temp_directory_path() / ("ws-store-bench-" + std::to_string(::getpid()));
  if (std::filesystem::exists(dir)) {
    std::fprintf(stderr, "ws_store_bench: %s exists; give an empty --dir\n", dir.c_str());
    return 2;
  }

  ws::Store::Options options;
  options.dir = dir;
  auto opened = ws::Store::open(options);
  if (!opened) {
    std::fprintf(stderr, "ws_store_bench: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto store = std::move(opened).value();

  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  for (int done = 0; done < records;) {
    auto batch = store->begin_write();
    for (int i = 0; i < batch_size && done < records; ++i, ++done) {
      auto r = make_record(done);
      batch.put(r);
    }
    if (auto ok = batch.commit(); !ok) {
      std::fprintf(stderr, "ws_store_bench: %s\n", ok.error().message.c_str());
      return 1;
    }
  }
  double put_s = std::chrono::duration<double>(clock::now() - start).count();

  // A re-import: every record looked up by its backend id and written back (the common path).
  start = clock::now();
  for (int done = 0; done < records;) {
    auto batch = store->begin_write();
    for (int i = 0; i < batch_size && done < records; ++i, ++done) {
      ws::MediaItem item;
      item.server = "plex_main";
      item.item_id = std::to_string(100'000 + done);
      auto found = batch.find(item);
      if (!found) {
        std::fprintf(stderr, "ws_store_bench: record %d not found on re-import\n", done);
        return 1;
      }
      found->updated_at += 1;
      batch.put(*found);
    }
    if (auto ok = batch.commit(); !ok) {
      std::fprintf(stderr, "ws_store_bench: %s\n", ok.error().message.c_str());
      return 1;
    }
  }
  double reput_s = std::chrono::duration<double>(clock::now() - start).count();

  auto stats = store->stats();
  std::printf("ws_store_bench: %s; LMDB with fsync per commit; dir %s\n", machine().c_str(), dir.c_str());
  std::printf("records %d, batch %d (%d commits)\n", records, batch_size, (records + batch_size - 1) / batch_size);
  std::printf("insert:     %.2f s  (%.0f records/s)\n", put_s, records / put_s);
  std::printf("find+put:   %.2f s  (%.0f records/s)\n", reput_s, records / reput_s);
  std::printf("data.mdb    %.1f MiB (%.0f bytes/record); pointers %llu, backend ids %llu\n",
              double(stats.file_bytes) / (1 << 20), double(stats.file_bytes) / records,
              static_cast<unsigned long long>(stats.pointers), static_cast<unsigned long long>(stats.backend_ids));
  store.reset();
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
