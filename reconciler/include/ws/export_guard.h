// The export guard (DESIGN §5 "Export"): refuses a plan that would unmark more than a share of a
// server's played items — the destructive direction, the one behind every "it wiped my history"
// report — unless the user forces it. It counts the unmarks already written to that server
// within a window (export.guard_window, default 24 h) with the ones planned, so many small plans
// (an export every hour, a push per webhook) add up as one large one would.
//
// Pure: the caller reads the counts (ExportPlan for the plan, Store::unmarks_written for the
// window) and records what it wrote (WriteBatch::add_unmarks_written). A push calls it the same
// way as a run: check_export_guard with that push's unplays.
#pragma once

#include <cstdint>
#include <string>

namespace ws {

struct GuardPolicy {
  double share = 0.10;        // export.guard: refuse beyond this share of the played items...
  uint64_t floor = 5;         // ...but never at or under this many unmarks in the window
  int64_t window_s = 86'400;  // export.guard_window
};

struct GuardCheck {
  std::string server;
  uint64_t planned = 0;            // unmarks this plan (or push) would write
  uint64_t played = 0;             // items played on the server now, the planned ones among them
  uint64_t written_in_window = 0;  // unmarks written there within the window, before this plan
  bool force = false;              // --force: let it through (the decision still says so)
};

struct GuardDecision {
  bool tripped = false;  // over the guard
  bool refused = false;  // tripped and not forced
  std::string message;   // when tripped: the numbers, the window, and how to override
};

// Tripped when the plan unmarks something and the unmarks of the window with it are more than
// `floor` and more than `share` of the items that were played at the window's start (played now
// plus those unmarked in it).
GuardDecision check_export_guard(const GuardCheck& check, const GuardPolicy& policy);

// Whether the decision can depend on the played count: when it cannot, a push-mode plan need
// not count the server's played items (a full scan).
bool guard_needs_played_count(uint64_t planned, uint64_t written_in_window, const GuardPolicy& policy);

}  // namespace ws
