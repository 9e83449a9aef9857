// What the store keeps for exports: the records of one server item (multi-episode parts), an item
// a server no longer has (rule 8), the export guard's log of written unmarks, reads inside an
// open batch (dry runs plan there), the ignored writes db:stats reports, and letting go of the
// pages a whole scan mapped.
#include <fstream>

#include <catch2/catch.hpp>

#include "store_testutil.h"
#include "ws/match_keys.h"
#include "ws/store.h"

using namespace ws;
using namespace ws::testutil;

namespace {

// Part `number` of the two-episode file `item_id` on `server` (and a file of its own elsewhere).
Record part_of_file(int number, const std::string& server, const std::string& item_id) {
  Record r = episode("81189", 1, number);
  r.metadata[server].item_id = item_id;
  r.metadata[server].episode_end = 2;
  r.metadata["split"].item_id = "s" + std::to_string(number);
  return r;
}

// Resident kB of this process's mappings of `file` (/proc/self/smaps).
long resident_kb(const std::filesystem::path& file) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  long kb = 0;
  while (std::getline(smaps, line)) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') != std::string::npos &&
        line.find(':') != std::string::npos && line.find("kB") == std::string::npos) {
      inside = line.size() >= file.string().size() &&
               line.compare(line.size() - file.string().size(), std::string::npos, file.string()) == 0;
    } else if (inside && line.rfind("Rss:", 0) == 0) {
      kb += std::stol(line.substr(4));
    }
  }
  return kb;
}

std::vector<int> episodes_of(const std::vector<Record>& records) {
  std::vector<int> out;
  for (const auto& r : records) out.push_back(r.episode);
  return out;
}

}  // namespace

TEST_CASE("records_of_item finds one record, or every part of a multi-episode file in episode order",
          "[store][export]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  Record second = part_of_file(2, "jf", "file1");  // stored first: order comes from the episodes
  Record first = part_of_file(1, "jf", "file1");
  Record film = movie("tt1", "jf", "file10");      // an id that starts like the file's
  put_one(*store, second);
  put_one(*store, first);
  put_one(*store, film);

  CHECK(episodes_of(store->records_of_item("jf", "file1")) == std::vector<int>{1, 2});
  auto alone = store->records_of_item("jf", "file10");
  REQUIRE(alone.size() == 1);
  CHECK(alone[0].id == film.id);
  auto split = store->records_of_item("split", "s2");
  REQUIRE(split.size() == 1);
  CHECK(split[0].id == second.id);
  CHECK(store->records_of_item("jf", "nothing").empty());
  CHECK(store->records_of_item("", "file1").empty());
}

TEST_CASE("drop_server_item removes one server's metadata and keys from every part, and keeps the state",
          "[store][export]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  Record first = part_of_file(1, "jf", "file1");
  Record second = part_of_file(2, "jf", "file1");
  first.watched = true;
  put_one(*store, first);
  put_one(*store, second);

  auto batch = store->begin_write();
  CHECK(batch.drop_server_item("jf", "file1") == 2);
  CHECK(batch.drop_server_item("jf", "file1") == 0);  // already gone
  REQUIRE(batch.commit().ok());

  auto kept = store->get(first.id);
  REQUIRE(kept);
  CHECK(kept->watched);
  CHECK(kept->metadata.count("jf") == 0);
  CHECK(kept->metadata.count("split") == 1);
  CHECK(store->records_of_item("jf", "file1").empty());
  CHECK_FALSE(store->find(item_from("jf", "file1", MediaType::episode)));
  CHECK(store->records_of_item("split", "s1").size() == 1);
}

TEST_CASE("the export guard's log counts unmarks written since a time and forgets old ones", "[store][export]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  {
    auto batch = store->begin_write();
    batch.add_unmarks_written("plex", 1000, 3, 0);
    batch.add_unmarks_written("plex", 1000, 2, 0);  // the same second adds up
    batch.add_unmarks_written("plex", 5000, 1, 0);
    batch.add_unmarks_written("jf", 5000, 7, 0);
    REQUIRE(batch.commit().ok());
  }
  CHECK(store->unmarks_written("plex", 0) == 6);
  CHECK(store->unmarks_written("plex", 1001) == 1);
  CHECK(store->unmarks_written("jf", 0) == 7);
  CHECK(store->unmarks_written("emby", 0) == 0);
  {
    auto batch = store->begin_write();
    batch.add_unmarks_written("plex", 9000, 1, 2000);  // the entry at 1000 is dropped
    REQUIRE(batch.commit().ok());
  }
  CHECK(store->unmarks_written("plex", 0) == 2);
}

TEST_CASE("a write batch reads its own uncommitted records, and an aborted one leaves the store as it was",
          "[store][export]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  Record kept = movie("tt1", "plex", "1");
  kept.updated_at = 100;
  put_one(*store, kept);
  {
    auto batch = store->begin_write();
    Record added = part_of_file(1, "jf", "file1");
    added.updated_at = 500;
    batch.put(added);
    size_t seen = 0;
    batch.for_each([&](const Record&) { return ++seen, true; });
    CHECK(seen == 2);
    std::vector<uint64_t> changed;
    batch.for_each_changed_since(200, [&](const Record& r) { return changed.push_back(r.id), true; });
    CHECK(changed == std::vector<uint64_t>{added.id});
    CHECK(batch.records_of_item("jf", "file1").size() == 1);
    CHECK(store->records_of_item("jf", "file1").empty());  // not committed
  }
  size_t after = 0;
  store->for_each([&](const Record&) { return ++after, true; });
  CHECK(after == 1);
}

TEST_CASE("stats count a server's ignored writes, and those given up after max_ignored", "[store][export]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  Record once = movie("tt1", "plex", "1");
  once.metadata["plex"].ignored_writes = 1;
  Record given_up = movie("tt2", "plex", "2");
  given_up.metadata["plex"].ignored_writes = 3;
  Record changed_since = movie("tt3", "plex", "3");  // the server's flag moved: it stands no more
  changed_since.metadata["plex"].ignored_writes = 3;
  changed_since.metadata["plex"].watched = true;
  put_one(*store, once);
  put_one(*store, given_up);
  put_one(*store, changed_since);
  auto stats = store->stats(3);
  CHECK(stats.ignored_writes["plex"].items == 2);
  CHECK(stats.ignored_writes["plex"].given_up == 1);
  CHECK(store->stats(5).ignored_writes["plex"].given_up == 0);
}

TEST_CASE("release_mapped_pages lets go of what a scan mapped, and the next reads see the same records",
          "[store][export]") {
  TempDir tmp;
  auto store = open_writer(tmp.db());
  {
    auto batch = store->begin_write();
    for (int i = 0; i < 3000; ++i) {
      Record r = movie("tt" + std::to_string(1000000 + i), "jf", "film" + std::to_string(i));
      r.title = std::string(200, 'x');  // about 300 pages of records
      batch.put(r);
    }
    REQUIRE(batch.commit().ok());
  }
  const auto file = std::filesystem::canonical(tmp.db() / "data.mdb");
  size_t seen = 0;
  store->for_each([&](const Record&) { return ++seen, true; });
  REQUIRE(seen == 3000);
  const long mapped = resident_kb(file);
  INFO("data.mdb resident after a scan: " << mapped << " kB");
  REQUIRE(mapped > 500);
  store->release_mapped_pages();
  CHECK(resident_kb(file) < mapped / 10);
  size_t again = 0;
  store->for_each([&](const Record& r) { return again += r.title.size() == 200 ? 1 : 0, true; });
  CHECK(again == 3000);
}
