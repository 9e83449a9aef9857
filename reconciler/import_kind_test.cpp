// Full or delta (DESIGN §5 "Incremental import"): the decision for each case of the contract.
#include <catch2/catch.hpp>

#include "ws/import_kind.h"

using namespace ws;

namespace {

constexpr int64_t kNow = 1'750'000'000;

ImportKindInputs after_full(int64_t full_age, int64_t last_import_age, ServerType type = ServerType::plex) {
  ImportKindInputs in;
  in.now = kNow;
  in.last_full = kNow - full_age;
  in.last_import = kNow - last_import_age;
  in.type = type;
  return in;
}

}  // namespace

TEST_CASE("an import is a delta from the last import's start less the margin, within import.full_every", "[import_kind]") {
  AppConfig config;  // full_every 1d, margin 5m
  const ImportKind k = choose_import_kind(after_full(3600, 600), config);
  CHECK_FALSE(k.full);
  CHECK(k.since == kNow - 600 - 300);
  config.import_delta_margin = std::chrono::seconds(0);
  CHECK(choose_import_kind(after_full(3600, 600), config).since == kNow - 600);
  // Emby deltas too.
  CHECK_FALSE(choose_import_kind(after_full(3600, 600, ServerType::emby), config).full);
}

TEST_CASE("a first import, -f, an elapsed import.full_every and an export's pull are full", "[import_kind]") {
  const AppConfig config;
  ImportKindInputs never;
  never.now = kNow;
  CHECK(choose_import_kind(never, config).full);
  // Imported before full imports were recorded (an older state): full once.
  ImportKindInputs no_full = after_full(0, 600);
  no_full.last_full = 0;
  CHECK(choose_import_kind(no_full, config).full);
  ImportKindInputs forced = after_full(3600, 600);
  forced.forced_full = true;
  CHECK(choose_import_kind(forced, config).full);
  CHECK(choose_import_kind(forced, config).since == 0);
  const ImportKind elapsed = choose_import_kind(after_full(24 * 3600, 600), config);
  CHECK(elapsed.full);
  CHECK(elapsed.why == "import.full_every elapsed");
  CHECK_FALSE(choose_import_kind(after_full(24 * 3600 - 1, 600), config).full);
  ImportKindInputs pull = after_full(3600, 600);
  pull.import_command = false;
  CHECK(choose_import_kind(pull, config).full);
  AppConfig always_full;
  always_full.import_full_every = std::chrono::seconds(0);
  CHECK(choose_import_kind(after_full(3600, 600), always_full).full);
}

TEST_CASE("Jellyfin is imported whole unless import.jellyfin_delta, its filter seeing no watch-state change",
          "[import_kind]") {
  AppConfig config;
  CHECK(choose_import_kind(after_full(3600, 600, ServerType::jellyfin), config).full);
  config.import_jellyfin_delta = true;
  const ImportKind k = choose_import_kind(after_full(3600, 600, ServerType::jellyfin), config);
  CHECK_FALSE(k.full);
  CHECK(k.since == kNow - 900);
}
