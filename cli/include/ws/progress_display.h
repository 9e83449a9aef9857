// Shows a running request's progress: a bar per server on a terminal, plain lines otherwise (at
// most one every few seconds), and the summary table at the end.
#pragma once

#include <chrono>
#include <iosfwd>
#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace ws {

struct RunSummary;

class ProgressDisplay {
 public:
  // `terminal`: draw bars in place (\r); `memory`: add this process's resident memory (-m).
  ProgressDisplay(std::ostream& err, bool terminal, bool memory);
  // One ctl.progress body: {server, phase, done, total}.
  void update(const nlohmann::json& progress);
  // Ends the bar line, if one is drawn.
  void finish();

 private:
  void draw();
  std::ostream& err_;
  bool terminal_;
  bool memory_;
  std::map<std::string, std::pair<std::string, std::pair<uint64_t, uint64_t>>> servers_;  // phase, done/total
  std::chrono::steady_clock::time_point last_line_{};
  bool drawn_ = false;
};

// The errors the logger has not printed yet, then the table "fetched matched unmatched new
// changed planned done failed" per server.
void print_summary(std::ostream& out, const RunSummary& summary, bool import, bool export_);

// Resident memory of this process in MiB (VmRSS), or -1 when unknown.
double resident_mib();
// Peak resident memory (VmHWM) in MiB, or -1.
double peak_resident_mib();

}  // namespace ws
