// Rule 8's import half over a real store: what a full import no longer lists loses that
// server's metadata and backend key, the record and its state stay, and the pruning guard
// refuses a prune too large to be believed.
#include <catch2/catch.hpp>

#include "store_testutil.h"
#include "ws/batch_applier.h"
#include "ws/import_pruning.h"

using namespace ws;

namespace {

MediaItem movie_on(const std::string& server, const std::string& id, int n, bool watched = false,
                   const std::string& library = "1") {
  MediaItem item;
  item.server = server;
  item.item_id = id;
  item.library_id = library;
  item.type = MediaType::movie;
  item.title = "Film " + std::to_string(n);
  item.guids["imdb"] = "tt" + std::to_string(1000000 + n);
  item.watched = watched;
  item.played_at = watched ? 2000 : 0;
  item.added_at = 1000;
  return item;
}

MediaItem episode_on(const std::string& server, const std::string& id, int episode, int episode_end = -1) {
  MediaItem item;
  item.server = server;
  item.item_id = id;
  item.library_id = "2";
  item.type = MediaType::episode;
  item.title = "Show";
  item.parent["tvdb"] = "7000";
  item.season = 1;
  item.episode = episode;
  item.episode_end = episode_end;
  item.added_at = 1000;
  return item;
}

// Applies `items` as one import of their server, the keys listed going into `pruning`.
ApplyCounts import(Store& store, const std::vector<MediaItem>& items, ImportPruning* pruning = nullptr,
                   int64_t now = 5000) {
  ApplyOptions o;
  o.now = now;
  if (pruning) o.listed_keys = pruning->listed_keys();
  auto applied = apply_items(store, items, o);
  REQUIRE(applied.ok());
  return *applied;
}

// Plans and, when allowed, commits the prune; returns the plan.
ImportPruning::Plan prune(Store& store, const ImportPruning& pruning, ImportPruning::Guard guard = {}) {
  auto plan = pruning.plan(store, guard);
  auto batch = store.begin_write();
  ImportPruning::apply(batch, plan);
  REQUIRE(batch.commit().ok());
  return plan;
}

std::vector<std::string> gone_keys(const ImportPruning::Plan& plan) {
  std::vector<std::string> keys;
  for (const auto& g : plan.gone) keys.push_back(g.key);
  return keys;
}

std::optional<Record> by_backend_id(const Store& store, const std::string& server, const std::string& id) {
  MediaItem probe;  // no external ids: only the backend key can find it
  probe.server = server;
  probe.item_id = id;
  return store.find(probe);
}

}  // namespace

TEST_CASE("a full import prunes the metadata and backend key of what its server no longer lists, and the record stays",
          "[import][prune]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  import(*store, {movie_on("plex", "p1", 1, true), movie_on("plex", "p2", 2), movie_on("plex", "p3", 3, true)});
  import(*store, {movie_on("jelly", "j1", 1), movie_on("jelly", "j3", 3)});
  const Record before = *by_backend_id(*store, "plex", "p3");
  REQUIRE(before.metadata.count("jelly") == 1);

  ImportPruning pruning("plex");
  import(*store, {movie_on("plex", "p1", 1, true), movie_on("plex", "p2", 2)}, &pruning, 6000);
  const auto plan = prune(*store, pruning);
  CHECK(plan.known == 3);
  CHECK(plan.allowed());
  CHECK(gone_keys(plan) == std::vector<std::string>{"plex/p3"});

  CHECK_FALSE(by_backend_id(*store, "plex", "p3"));
  const auto after = store->get(before.id);
  REQUIRE(after);
  CHECK(after->metadata.count("plex") == 0);
  CHECK(after->metadata.at("jelly") == before.metadata.at("jelly"));
  // The state is the user's history; nothing changed that an export would have to write.
  CHECK(after->watched);
  CHECK(after->updated == before.updated);
  CHECK(after->via == before.via);
  CHECK(after->updated_at == before.updated_at);
  // The others keep their plex metadata.
  CHECK(by_backend_id(*store, "plex", "p1"));
  CHECK(by_backend_id(*store, "plex", "p2"));
  CHECK(store->stats().records == 3);
  CHECK(store->stats().per_server.at("plex") == 2);

  SECTION("a record no server lists any more stays, with its state") {
    ImportPruning jelly("jelly");
    import(*store, {movie_on("jelly", "j1", 1)}, &jelly, 7000);
    CHECK(gone_keys(prune(*store, jelly)) == std::vector<std::string>{"jelly/j3"});
    const auto orphan = store->get(before.id);
    REQUIRE(orphan);
    CHECK(orphan->metadata.empty());
    CHECK(orphan->watched);
    CHECK(orphan->updated == before.updated);
    CHECK(orphan->guids == before.guids);
    CHECK(store->stats().records == 3);
  }
  SECTION("an item back on the server finds its record again by its external ids") {
    import(*store, {movie_on("plex", "p3-new", 3)}, nullptr, 7000);
    const auto back = by_backend_id(*store, "plex", "p3-new");
    REQUIRE(back);
    CHECK(back->id == before.id);
    CHECK(back->watched);  // an unplayed copy added anew is no unmark (rule 2)
  }
}

TEST_CASE("an import that lists everything prunes nothing and writes nothing", "[import][prune]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  const std::vector<MediaItem> items{movie_on("plex", "p1", 1), movie_on("plex", "p2", 2), movie_on("plex", "p3", 3)};
  import(*store, items);
  ImportPruning pruning("plex");
  // Unchanged items are not mapped (ApplyOptions::skip_unchanged), yet they count as listed.
  const ApplyCounts again = import(*store, items, &pruning, 6000);
  CHECK(again.unchanged == 3);
  CHECK(again.written == 0);
  const auto plan = pruning.plan(*store, {});
  CHECK(plan.known == 3);
  CHECK(plan.gone.empty());
  CHECK(plan.allowed());

  SECTION("and of the unchanged ones, what is not listed is gone") {
    ImportPruning partial("plex");
    const ApplyCounts some = import(*store, {items[0], items[2]}, &partial, 7000);
    CHECK(some.unchanged == 2);
    CHECK(gone_keys(partial.plan(*store, {})) == std::vector<std::string>{"plex/p2"});
  }
}

TEST_CASE("the parts of a multi-episode file are pruned together, and a part the file no longer covers alone",
          "[import][prune]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  import(*store, {episode_on("jelly", "x", 1, 2), episode_on("jelly", "y", 3)});
  REQUIRE(store->stats().records == 3);
  const auto e1 = by_backend_id(*store, "jelly", "x/E1");
  const auto e2 = by_backend_id(*store, "jelly", "x/E2");
  REQUIRE(e1);
  REQUIRE(e2);

  SECTION("the file is gone: both parts") {
    ImportPruning pruning("jelly");
    import(*store, {episode_on("jelly", "y", 3)}, &pruning, 6000);
    const auto plan = prune(*store, pruning);
    CHECK(plan.known == 3);
    CHECK(gone_keys(plan) == std::vector<std::string>{"jelly/x/E1", "jelly/x/E2"});
    CHECK(store->get(e1->id)->metadata.empty());
    CHECK(store->get(e2->id)->metadata.empty());
  }
  SECTION("the file is listed: both parts stay") {
    ImportPruning pruning("jelly");
    const ApplyCounts again =
        import(*store, {episode_on("jelly", "x", 1, 2), episode_on("jelly", "y", 3)}, &pruning, 6000);
    CHECK(again.unchanged == 3);  // both parts and y, none of them mapped: still listed
    CHECK(prune(*store, pruning).gone.empty());
  }
  SECTION("the file now holds E01 alone: E02's part goes, E01 keeps the file") {
    ImportPruning pruning("jelly");
    import(*store, {episode_on("jelly", "x", 1), episode_on("jelly", "y", 3)}, &pruning, 6000);
    CHECK(gone_keys(prune(*store, pruning)) == std::vector<std::string>{"jelly/x/E2"});
    CHECK(store->get(e1->id)->metadata.at("jelly").item_id == "x");
    CHECK(by_backend_id(*store, "jelly", "x")->id == e1->id);
    CHECK(store->get(e2->id)->metadata.empty());
  }
}

TEST_CASE("items of an ignored library are not listed, and not pruned", "[import][prune]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  import(*store, {movie_on("plex", "p1", 1, false, "1"), movie_on("plex", "p2", 2, false, "9")});
  ImportPruning pruning("plex");
  pruning.ignore_library("9");
  import(*store, {}, &pruning, 6000);
  CHECK(gone_keys(prune(*store, pruning)) == std::vector<std::string>{"plex/p1"});
  CHECK(by_backend_id(*store, "plex", "p2"));
}

TEST_CASE("a server does not prune the keys of a server whose name extends its own", "[import][prune]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  import(*store, {movie_on("a", "1", 1), movie_on("a/b", "2", 2)});
  ImportPruning pruning("a");
  import(*store, {movie_on("a", "1", 1)}, &pruning, 6000);
  const auto plan = prune(*store, pruning);
  CHECK(plan.gone.empty());
  CHECK(by_backend_id(*store, "a/b", "2"));
}

TEST_CASE("the pruning guard refuses a prune of more than its share of a server's items, unless forced",
          "[import][prune]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  std::vector<MediaItem> library;
  for (int i = 1; i <= 50; ++i) library.push_back(movie_on("plex", "p" + std::to_string(i), i));
  import(*store, library);

  // Lists the first `kept` items of the library and plans the prune of the rest.
  auto plan_keeping = [&](int kept, ImportPruning::Guard guard) {
    ImportPruning pruning("plex");
    import(*store, std::vector<MediaItem>(library.begin(), library.begin() + kept), &pruning, 6000);
    return pruning.plan(*store, guard);
  };

  SECTION("5 gone pass on any library (the floor)") {
    const auto plan = plan_keeping(45, {});
    CHECK(plan.gone.size() == 5);
    CHECK(plan.allowed());
  }
  SECTION("6 of 50 gone are over 10%: nothing is pruned, and the refusal says why and how to override") {
    const auto plan = plan_keeping(44, {});
    CHECK(plan.gone.size() == 6);
    REQUIRE_FALSE(plan.allowed());
    CHECK_THAT(plan.refused, Catch::Contains("would prune 6 of the 50 items") &&
                                 Catch::Contains("import.prune_guard 10%") &&
                                 Catch::Contains("watchstate state:import -s plex -f --force"));
    auto batch = store->begin_write();
    CHECK(ImportPruning::apply(batch, plan) == 0);
    REQUIRE(batch.commit().ok());
    CHECK(store->stats().per_server.at("plex") == 50);
  }
  SECTION("a larger share lets it through") {
    ImportPruning::Guard guard;
    guard.share = 0.2;
    CHECK(plan_keeping(44, guard).allowed());
  }
  SECTION("forced, it prunes") {
    ImportPruning::Guard guard;
    guard.force = true;
    const auto plan = plan_keeping(5, guard);
    CHECK(plan.gone.size() == 45);
    REQUIRE(plan.allowed());
    auto batch = store->begin_write();
    CHECK(ImportPruning::apply(batch, plan) == 45);
    REQUIRE(batch.commit().ok());
    CHECK(store->stats().per_server.at("plex") == 5);
    CHECK(store->stats().records == 50);
  }
}

TEST_CASE("dropping a server's item is a no-op for a key that is not that server's", "[store][prune]") {
  testutil::TempDir dir;
  auto store = testutil::open_writer(dir.db());
  import(*store, {movie_on("plex", "p1", 1)});
  auto batch = store->begin_write();
  CHECK(batch.drop_server_key("plex", "plex/unknown") == 0);
  CHECK(batch.drop_server_key("jelly", "plex/p1") == 0);
  CHECK(batch.drop_server_key("plex", "plex/p1") != 0);
  REQUIRE(batch.commit().ok());
  CHECK_FALSE(by_backend_id(*store, "plex", "p1"));
}
