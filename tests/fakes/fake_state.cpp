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

Change played_at(int64_t at) {
  return [at](ItemState& s) {
    s.watched = true;
    s.play_count += 1;
    s.last_played = at;
    s.position_ms = 0;
    s.saved = now_ticks();
  };
}

Change unplayed() {
  return [](ItemState& s) {
    s.watched = false;
    s.play_count = 0;
    s.last_played = 0;
    s.position_ms = 0;
    s.saved = now_ticks();
  };
}

Change progress_at(int64_t position_ms, int64_t at) {
  return [position_ms, at](ItemState& s) {
    s.position_ms = std::max<int64_t>(0, position_ms);
    s.last_played = at ? at : now_ticks();
    s.saved = now_ticks();
  };
}

Change user_data(std::optional<bool> played, std::optional<uint32_t> play_count, std::optional<int64_t> position_ms,
                 std::optional<int64_t> last_played) {
  return [=](ItemState& s) {
    if (played) {
      if (*played && !s.watched && !play_count) s.play_count = std::max<uint32_t>(1, s.play_count);
      s.watched = *played;
    }
    if (play_count) s.play_count = *play_count;
    if (position_ms) s.position_ms = std::max<int64_t>(0, *position_ms);
    if (last_played) s.last_played = *last_played;
    s.saved = now_ticks();
  };
}

Change added(int64_t at) {
  return [at](ItemState& s) {
    s.watched = false;
    s.play_count = 0;
    s.last_played = 0;
    s.position_ms = 0;
    s.added_at = at;
    s.saved = 0;  // a new file: no user data saved yet
  };
}

FakeState::FakeState(const Catalog& catalog, const StateOptions& options) : catalog_(catalog) {
  items_.resize(catalog.entries().size());
  for (const Entry& e : catalog.entries()) {
    ItemState& s = items_[e.index];
    s.added_at = e.added_at;
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

ItemState FakeState::act(uint32_t index, Act act, const Change& change) {
  std::unique_lock lock(mutex_);
  ItemState& s = items_[index];
  change(s);
  s.last_act = act;
  if (act == Act::add && s.removed) {
    s.removed = false;
    removed_count_.fetch_sub(1, std::memory_order_relaxed);
  }
  return s;
}

FakeState::Written FakeState::write(uint32_t index, const Change& change) {
  std::unique_lock lock(mutex_);
  ItemState& s = items_[index];
  if (s.ignore_writes) {
    Written w{s, false};
    change(w.state);  // answered as done, kept nowhere
    return w;
  }
  change(s);
  return Written{s, true};
}

void FakeState::set_removed(uint32_t index, bool removed) {
  std::unique_lock lock(mutex_);
  ItemState& s = items_[index];
  if (s.removed == removed) return;
  s.removed = removed;
  if (removed) {
    removed_count_.fetch_add(1, std::memory_order_relaxed);
  } else {
    removed_count_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void FakeState::set_ignore_writes(uint32_t index, bool ignore) {
  std::unique_lock lock(mutex_);
  items_[index].ignore_writes = ignore;
}

bool FakeState::present(uint32_t index) const {
  const Entry& e = catalog_.at(index);
  if (e.folded) return false;
  if (removed_count() == 0) return true;  // every season has an episode that is not folded
  switch (e.kind) {
    case EntryKind::movie:
    case EntryKind::episode: return !items_[index].removed;
    case EntryKind::season:
    case EntryKind::show:
      for (uint32_t child : catalog_.children_of(index)) {
        if (present(child)) return true;
      }
      return false;
  }
  return false;
}

std::vector<uint32_t> FakeState::present_of(const std::vector<uint32_t>& indices) const {
  std::vector<uint32_t> out;
  out.reserve(indices.size());
  for (uint32_t i : indices) {
    if (present(i)) out.push_back(i);
  }
  return out;
}

}  // namespace ws::fake
