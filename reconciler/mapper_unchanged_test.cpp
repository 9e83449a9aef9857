// import_changes_nothing (mapper.h): the re-import's fast path may skip map_item only where
// map_item would change nothing. Held to map_item over many generated records and reports whose
// fields take few values (so that equal and unequal both come up often), and over named cases.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "mapper_testutil.h"

using namespace ws;
using namespace ws::testutil;

namespace {

template <typename T>
T pick(std::mt19937& rng, const std::vector<T>& from) {
  return from[rng() % from.size()];
}

const std::vector<std::string> kServers = {"emby", "jelly", "plex"};

// A report of one item, every field drawn from a handful of values.
MediaItem random_report(std::mt19937& rng, const std::string& server, MediaType type) {
  MediaItem item;
  item.server = server;
  item.type = type;
  item.item_id = pick<std::string>(rng, {"1", "1", "1", "2"});
  item.series_id = pick<std::string>(rng, {"", "s1", "s1", "s2"});
  item.library_id = pick<std::string>(rng, {"", "L1", "L1", "L2"});
  item.title = pick<std::string>(rng, {"", "Heat", "Heat", "Heat (1995)", "Hea"});
  item.year = pick(rng, std::vector<int>{0, 1995, 1995, 1996});
  if (rng() % 2) item.guids["imdb"] = pick<std::string>(rng, {"tt1", "tt1", "tt2"});
  if (rng() % 2) item.guids["tmdb"] = pick<std::string>(rng, {"5", "5", "6"});
  if (type == MediaType::episode) {
    item.season = pick(rng, std::vector<int>{-1, 1, 1, 2});
    item.episode = pick(rng, std::vector<int>{-1, 3, 3, 4});
    item.episode_end = pick(rng, std::vector<int>{-1, -1, -1, 4});
    if (rng() % 2) item.parent["tvdb"] = pick<std::string>(rng, {"70", "70", "71"});
    if (rng() % 3 == 0) item.parent["tmdb"] = "80";
    if (rng() % 4 == 0) item.relative = RelativeGuid{"tvdb", pick<std::string>(rng, {"70", "71"}), 1, 3};
  }
  item.watched = rng() % 2;
  item.played_at = pick(rng, std::vector<int64_t>{0, 100, 200, 200, 300});
  item.added_at = pick(rng, std::vector<int64_t>{0, 50, 50, 60});
  item.progress_ms = pick(rng, std::vector<int64_t>{0, 0, 60'000, 1'200'000, 1'203'000, 3'000'000});
  return item;
}

// The same report with one field changed (or none), as a re-import finds it.
MediaItem nudged(MediaItem item, std::mt19937& rng) {
  switch (rng() % 16) {
    case 0: item.watched = !item.watched; break;
    case 1: item.played_at = pick(rng, std::vector<int64_t>{0, 100, 200, 300, 400}); break;
    case 2: item.added_at = pick(rng, std::vector<int64_t>{0, 50, 60}); break;
    case 3: item.progress_ms = pick(rng, std::vector<int64_t>{0, 60'000, 1'200'000, 1'203'000, 3'000'000}); break;
    case 4: item.title = pick<std::string>(rng, {"", "Heat", "He", "Heat (1995)"}); break;
    case 5: item.year = pick(rng, std::vector<int>{0, 1994, 1995, 1996}); break;
    case 6: item.guids["imdb"] = pick<std::string>(rng, {"tt0", "tt1", "tt2"}); break;
    case 7: item.guids.erase("tmdb"); break;
    case 8: item.item_id = pick<std::string>(rng, {"", "1", "2"}); break;
    case 9: item.library_id = pick<std::string>(rng, {"", "L1", "L2"}); break;
    case 10: item.series_id = pick<std::string>(rng, {"", "s1", "s2"}); break;
    case 11:
      item.season = pick(rng, std::vector<int>{-1, 0, 1, 2});
      item.episode = pick(rng, std::vector<int>{-1, 2, 3, 4});
      break;
    case 12: item.parent["tvdb"] = pick<std::string>(rng, {"69", "70", "71"}); break;
    case 13: item.episode_end = pick(rng, std::vector<int>{-1, 4}); break;
    default: break;  // the same report again
  }
  return item;
}

MapContext random_context(std::mt19937& rng, const std::string& server, EventKind kind) {
  MapContext ctx;
  ctx.server = server;
  ctx.kind = kind;
  ctx.now = pick(rng, std::vector<int64_t>{150, 250, 250, 350});
  ctx.last_sync = pick(rng, std::vector<int64_t>{0, 120, 220});
  ctx.options.progress_min_delta_ms = pick(rng, std::vector<int64_t>{5'000, 5'000, 0});
  return ctx;
}

}  // namespace

TEST_CASE("the fast path says 'nothing changes' only where map_item changes nothing", "[mapper][unchanged]") {
  std::mt19937 rng(20261201);
  int fast = 0, none = 0, checked = 0;
  for (int round = 0; round < 20'000; ++round) {
    const MediaType type = rng() % 2 ? MediaType::movie : MediaType::episode;
    // A stored record: what a few reports of random kinds made of it.
    std::optional<Record> rec;
    std::vector<MediaItem> last_import(kServers.size());
    std::vector<bool> imported(kServers.size(), false);
    for (int n = 1 + int(rng() % 6); n > 0; --n) {
      const size_t s = rng() % kServers.size();
      const EventKind kind = pick(rng, std::vector<EventKind>{EventKind::import, EventKind::import, EventKind::import,
                                                              EventKind::mark, EventKind::completed_play,
                                                              EventKind::tainted});
      MediaItem report = imported[s] && rng() % 2 ? nudged(last_import[s], rng) : random_report(rng, kServers[s], type);
      const MapResult r = map_item(rec, report, random_context(rng, kServers[s], kind));
      if (r.unmatched) continue;
      rec = r.record;
      if (kind == EventKind::import) {
        last_import[s] = report;
        imported[s] = true;
      }
    }
    if (!rec) continue;
    // A report: mostly a server's last import again, or nudged; sometimes anything.
    const size_t s = rng() % kServers.size();
    const MediaItem in = imported[s] && rng() % 4 != 0 ? (rng() % 2 ? last_import[s] : nudged(last_import[s], rng))
                                                       : random_report(rng, kServers[s], type);
    const EventKind kind = rng() % 8 ? EventKind::import : EventKind::mark;
    const MapContext ctx = random_context(rng, kServers[s], kind);

    const MapResult mapped = map_item(rec, in, ctx);
    ++checked;
    if (mapped.change == ChangeKind::none) ++none;
    if (!import_changes_nothing(*rec, in, ctx)) continue;
    ++fast;
    INFO("round " << round << ", server " << ctx.server << ": " << mapped.reason);
    REQUIRE(kind == EventKind::import);
    REQUIRE(mapped.change == ChangeKind::none);
    REQUIRE(mapped.record == *rec);
    REQUIRE_FALSE(mapped.created);
  }
  // Not vacuous: the fast path is taken for most of what map_item leaves alone.
  INFO(checked << " checked, map_item changed nothing " << none << " times, the fast path said so " << fast << " times");
  CHECK(none > 2'000);
  CHECK(fast * 2 > none);
}

TEST_CASE("the fast path takes the same report again, and leaves every change to map_item", "[mapper][unchanged]") {
  const MediaItem item = played(movie("my_plex", "p1"), kPlayed);
  Record rec = record_of(item);
  rec = map_item(rec, movie("my_jelly", "j1"), context("my_jelly")).record;
  const MapContext ctx = context("my_plex", EventKind::import, kLastSync);
  REQUIRE(map_item(rec, item, ctx).change == ChangeKind::none);
  CHECK(import_changes_nothing(rec, item, ctx));
  CHECK(import_changes_nothing(rec, movie("my_jelly", "j1"), context("my_jelly", EventKind::import, kLastSync)));

  // Each of these changes something (map_item says what), so the fast path must not take it.
  auto changed = [&](const MediaItem& in, const MapContext& c) {
    INFO(in.item_id << " " << in.title);
    CHECK(map_item(rec, in, c).change != ChangeKind::none);
    CHECK_FALSE(import_changes_nothing(rec, in, c));
  };
  changed(movie("my_plex", "p1"), ctx);                   // unmarked there (rule 2)
  changed(played(movie("my_plex", "p1"), kLater), ctx);   // a newer play
  MediaItem shorter = item;
  shorter.title = "Hea";
  changed(shorter, ctx);                                  // a better title
  MediaItem more_ids = item;
  more_ids.guids["tvdb"] = "1";
  changed(more_ids, ctx);                                 // a new external id
  MediaItem moved = item;
  moved.library_id = "7";
  changed(moved, ctx);                                    // this server's metadata
  MediaItem resumed = played(movie("my_plex", "p1"), kPlayed);
  resumed.progress_ms = 3'000'000;
  changed(resumed, ctx);                                  // a position
  changed(played(movie("my_emby", "e1"), kPlayed), context("my_emby", EventKind::import, kLastSync));  // a new server
  Record with_history = rec;  // a position from before the play that counts (not one map_item keeps)
  with_history.progress = Progress{1'200'000, "my_jelly", kPlayed - 1};
  CHECK(map_item(with_history, item, ctx).change != ChangeKind::none);
  CHECK_FALSE(import_changes_nothing(with_history, item, ctx));
  // Not an import: webhooks always go through map_item.
  CHECK_FALSE(import_changes_nothing(rec, item, context("my_plex", EventKind::completed_play, kLastSync)));
}
