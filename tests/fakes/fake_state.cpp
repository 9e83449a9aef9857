#include "fake_state.h"

#include <algorithm>

#include "fake_hash.h"
#include "fake_time.h"

namespace ws::fake {
namespace {
constexpr int64_t kStateUntil = 1748736000;  // 2025-06-01: initial dates are before this

// A date between the item's added date and kStateUntil, with a real-looking fraction.
int64_t plausible_ticks(uint64_t h, int64_t added_at) {
  const int64_t from = std::min(added_at + 3600, kStateUntil - 1);
  const int64_t secs = from + int64_t(h % uint64_t(kStateUntil - from));
  return secs * kTicksPerSecond + int64_t((h >> 20) % kTicksPerSecond);
}
}  // namespace

FakeState::FakeState(const Catalog& catalog, const StateOptions& options) {
  items_.resize(catalog.entries().size());
  for (const Entry& e : catalog.entries()) {
    ItemState& s = items_[e.index];
    s.added_at = e.added_at;
    s.saved = e.added_at * kTicksPerSecond;
    if (!options.seed || (e.kind != EntryKind::movie && e.kind != EntryKind::episode)) continue;
    const uint64_t h = hash3(*options.seed, 4, e.index);
    if (unit(h) * 100 < options.watched_pct) {
      s.watched = true;
      s.play_count = 1 + uint32_t((h >> 8) % 3);
      s.last_played = plausible_ticks(mix64(h), e.added_at);
      s.saved = s.last_played;
    } else if (unit(mix64(h + 1)) * 100 < options.progress_pct) {
      const double share = 0.05 + unit(mix64(h + 2)) * 0.85;
      s.position_ms = std::max<int64_t>(1000, int64_t(double(e.duration_ms) * share));
      s.last_played = plausible_ticks(mix64(h + 3), e.added_at);
      s.saved = s.last_played;
    }
  }
}

ItemState FakeState::get(uint32_t index) const {
  std::shared_lock lock(mutex_);
  return items_[index];
}

ItemState FakeState::mark_played(uint32_t index, int64_t at) {
  std::unique_lock lock(mutex_);
  ItemState& s = items_[index];
  s.watched = true;
  s.play_count += 1;
  s.last_played = at;
  s.position_ms = 0;
  s.saved = now_ticks();
  return s;
}

ItemState FakeState::mark_unplayed(uint32_t index) {
  std::unique_lock lock(mutex_);
  ItemState& s = items_[index];
  s.watched = false;
  s.play_count = 0;
  s.last_played = 0;
  s.position_ms = 0;
  s.saved = now_ticks();
  return s;
}

ItemState FakeState::set_progress(uint32_t index, int64_t position_ms, int64_t at) {
  std::unique_lock lock(mutex_);
  ItemState& s = items_[index];
  s.position_ms = std::max<int64_t>(0, position_ms);
  s.last_played = at ? at : now_ticks();
  s.saved = now_ticks();
  return s;
}

ItemState FakeState::set_user_data(uint32_t index, std::optional<bool> played, std::optional<uint32_t> play_count,
                                   std::optional<int64_t> position_ms, std::optional<int64_t> last_played) {
  std::unique_lock lock(mutex_);
  ItemState& s = items_[index];
  if (played) {
    if (*played && !s.watched && !play_count) s.play_count = std::max<uint32_t>(1, s.play_count);
    s.watched = *played;
  }
  if (play_count) s.play_count = *play_count;
  if (position_ms) s.position_ms = std::max<int64_t>(0, *position_ms);
  if (last_played) s.last_played = *last_played;
  s.saved = now_ticks();
  return s;
}

ItemState FakeState::mark_added(uint32_t index, int64_t at) {
  std::unique_lock lock(mutex_);
  ItemState& s = items_[index];
  s = ItemState{};
  s.added_at = at;
  s.saved = at * kTicksPerSecond;
  return s;
}

}  // namespace ws::fake
