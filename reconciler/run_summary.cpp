#include "ws/run_summary.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace ws {

namespace {
constexpr size_t kMaxErrorsPerServer = 5;  // the summary shows the first few; the log has all
}  // namespace

void RunSummary::add_error(const std::string& server, const std::string& error) {
  spdlog::error("{}", error);
  auto& errors = servers[server].errors;
  if (errors.size() < kMaxErrorsPerServer) errors.push_back(error);
}

bool RunSummary::ok() const {
  for (const auto& [name, s] : servers)
    if (!s.ok()) return false;
  return true;
}

void to_json(nlohmann::json& j, const ServerSummary& s) {
  j = {{"fetched", s.fetched}, {"matched", s.matched}, {"unmatched", s.unmatched}, {"new", s.created},
       {"changed", s.changed}, {"total", s.total},     {"pruned", s.pruned},       {"planned", s.planned},
       {"done", s.done},       {"written", s.written}, {"failed", s.failed},       {"gone", s.gone},
       {"skipped", s.skipped}, {"ignored", s.ignored}, {"given_up", s.given_up},   {"mixed", s.mixed},
       {"errors", s.errors}};
  if (!s.refused.empty()) j["refused"] = s.refused;
  if (!s.import_kind.empty()) j["import"] = s.import_kind;
  if (s.since > 0) j["since"] = s.since;
}

void from_json(const nlohmann::json& j, ServerSummary& s) {
  s = ServerSummary{};
  s.fetched = j.value("fetched", uint64_t{0});
  s.matched = j.value("matched", uint64_t{0});
  s.unmatched = j.value("unmatched", uint64_t{0});
  s.created = j.value("new", uint64_t{0});
  s.changed = j.value("changed", uint64_t{0});
  s.total = j.value("total", uint64_t{0});
  s.pruned = j.value("pruned", uint64_t{0});
  s.planned = j.value("planned", uint64_t{0});
  s.done = j.value("done", uint64_t{0});
  s.written = j.value("written", uint64_t{0});
  s.failed = j.value("failed", uint64_t{0});
  s.gone = j.value("gone", uint64_t{0});
  s.skipped = j.value("skipped", uint64_t{0});
  s.ignored = j.value("ignored", uint64_t{0});
  s.given_up = j.value("given_up", uint64_t{0});
  s.mixed = j.value("mixed", uint64_t{0});
  s.errors = j.value("errors", std::vector<std::string>{});
  s.refused = j.value("refused", std::string{});
  s.import_kind = j.value("import", std::string{});
  s.since = j.value("since", int64_t{0});
}

void to_json(nlohmann::json& j, const RunSummary& s) {
  j = {{"servers", s.servers}};
  if (!s.plan.empty()) j["plan"] = s.plan;
}

void from_json(const nlohmann::json& j, RunSummary& s) {
  s = RunSummary{};
  if (auto it = j.find("servers"); it != j.end()) it->get_to(s.servers);
  if (auto it = j.find("plan"); it != j.end() && it->is_array())
    for (const auto& a : *it) s.plan.push_back(a);
}

}  // namespace ws
