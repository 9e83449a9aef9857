#include "ws/progress_display.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ws/cli_output.h"
#include "ws/logging.h"
#include "ws/run_summary.h"

namespace ws {
namespace {

constexpr auto kPlainInterval = std::chrono::seconds(2);
constexpr int kBarWidth = 24;

double proc_status_mib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) {
      std::istringstream in(line.substr(std::string(field).size()));
      double kib = 0;
      in >> kib;
      return kib / 1024.0;
    }
  }
  return -1;
}

}  // namespace

double resident_mib() { return proc_status_mib("VmRSS:"); }
double peak_resident_mib() { return proc_status_mib("VmHWM:"); }

ProgressDisplay::ProgressDisplay(std::ostream& err, bool terminal, bool memory)
    : err_(err), terminal_(terminal), memory_(memory) {}

void ProgressDisplay::update(const nlohmann::json& p) {
  const std::string server = p.value("server", "");
  if (server.empty()) return;
  servers_[server] = {p.value("phase", ""), {p.value("done", uint64_t{0}), p.value("total", uint64_t{0})}};
  auto now = std::chrono::steady_clock::now();
  if (!terminal_ && now - last_line_ < kPlainInterval) return;
  last_line_ = now;
  draw();
}

void ProgressDisplay::draw() {
  std::ostringstream line;
  for (const auto& [server, state] : servers_) {
    const auto& [phase, counts] = state;
    const auto [done, total] = counts;
    line << server << " " << phase << " ";
    if (terminal_ && total > 0) {
      int filled = static_cast<int>(kBarWidth * std::min<double>(1.0, double(done) / double(total)));
      line << "[" << std::string(filled, '#') << std::string(kBarWidth - filled, '.') << "] ";
    }
    line << done << "/" << total << "  ";
  }
  if (memory_) line << "mem " << format_mib(resident_mib());
  std::string text = line.str();
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (terminal_) {
    err_ << "\r\033[K" << text << std::flush;
    drawn_ = true;
  } else {
    err_ << text << "\n" << std::flush;
  }
}

void ProgressDisplay::finish() {
  if (terminal_ && drawn_) err_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

void print_summary(std::ostream& out, const RunSummary& summary, bool import, bool export_) {
  // Columns for what happens seldom appear only when it happened.
  struct Rare {
    const char* name;
    uint64_t ServerSummary::*field;
  };
  std::vector<Rare> rare;
  if (export_) {
    for (Rare r : {Rare{"gone", &ServerSummary::gone}, Rare{"skipped", &ServerSummary::skipped},
                   Rare{"ignored", &ServerSummary::ignored}, Rare{"given up", &ServerSummary::given_up},
                   Rare{"mixed", &ServerSummary::mixed}}) {
      for (const auto& [name, s] : summary.servers)
        if (s.*(r.field) > 0) {
          rare.push_back(r);
          break;
        }
    }
  }
  std::vector<std::string> header{"server"};
  if (import) header.insert(header.end(), {"kind", "fetched", "matched", "unmatched", "new", "changed", "pruned"});
  if (export_) header.insert(header.end(), {"planned", "done", "written", "failed"});
  for (const auto& r : rare) header.push_back(r.name);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, s] : summary.servers) {
    std::vector<std::string> row{name};
    auto n = [](uint64_t v) { return std::to_string(v); };
    if (import)
      row.insert(row.end(), {s.import_kind.empty() ? "-" : s.import_kind, n(s.fetched), n(s.matched), n(s.unmatched), n(s.created), n(s.changed), n(s.pruned)});
    if (export_) row.insert(row.end(), {n(s.planned), n(s.done), n(s.written), n(s.failed)});
    for (const auto& r : rare) row.push_back(n(s.*(r.field)));
    rows.push_back(std::move(row));
  }
  // Errors first, the table last: the table is what a user reads at the end. An error the
  // logger already printed (embedded mode) is not printed again.
  for (const auto& [name, s] : summary.servers) {
    if (!s.refused.empty() && !logged_as_error(s.refused)) out << "refused: " << redact(s.refused) << "\n";
    for (const auto& e : s.errors)
      if (!logged_as_error(e)) out << "error: " << redact(e) << "\n";
  }
  print_table(out, header, rows);
}

}  // namespace ws
