#include "ws/export_guard.h"

#include <chrono>
#include <cmath>

#include "ws/config.h"

namespace ws {

bool guard_needs_played_count(uint64_t planned, uint64_t written_in_window, const GuardPolicy& policy) {
  return planned > 0 && planned + written_in_window > policy.floor;
}

namespace {

// "24h" rather than format_duration's "1d": the window as the configuration's default says it.
std::string format_window(int64_t seconds) {
  if (seconds > 0 && seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  return format_duration(std::chrono::seconds(seconds));
}

}  // namespace

GuardDecision check_export_guard(const GuardCheck& c, const GuardPolicy& policy) {
  GuardDecision d;
  if (!guard_needs_played_count(c.planned, c.written_in_window, policy)) return d;
  const uint64_t total = c.planned + c.written_in_window;
  const uint64_t base = c.played + c.written_in_window;  // played when the window began
  if (static_cast<double>(total) <= policy.share * static_cast<double>(base)) return d;
  d.tripped = true;
  d.refused = !c.force;
  const std::string window = format_window(policy.window_s);
  const std::string percent = std::to_string(static_cast<int>(std::lround(policy.share * 100))) + "%";
  d.message = c.server + ": the plan would unmark " + std::to_string(c.planned) + " of " + std::to_string(c.played) +
              " played items";
  if (c.written_in_window > 0) {
    d.message += ", and " + std::to_string(c.written_in_window) + " unmarks were already written there in the last " +
                 window + ": " + std::to_string(total) + " in " + window + " is over the export guard (" + percent +
                 " of " + std::to_string(base) + " played items, and more than " + std::to_string(policy.floor) + ")";
  } else {
    d.message += ", over the export guard (" + percent + ", and more than " + std::to_string(policy.floor) + " in " +
                 window + ")";
  }
  d.message += c.force ? "; exported anyway (--force)" : "; check the state, then run with --force to export anyway";
  return d;
}

}  // namespace ws
