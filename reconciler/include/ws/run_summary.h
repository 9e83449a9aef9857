// What a control request did, per server: the summary `state:import` / `state:export` print.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ws {

struct ServerSummary {
  uint64_t fetched = 0;
  uint64_t matched = 0;
  uint64_t unmatched = 0;
  uint64_t created = 0;   // "new"
  uint64_t changed = 0;
  uint64_t total = 0;     // items the server said it has (progress denominator)
  uint64_t pruned = 0;    // import: records that lost this server's metadata, the server no longer
                          // listing the item (rule 8); a dry run: how many would
  uint64_t planned = 0;   // export actions
  uint64_t done = 0;
  uint64_t written = 0;   // of done: writes actually sent (the rest already matched)
  uint64_t failed = 0;
  std::vector<std::string> errors;  // first few, each names the server and what failed
  std::string refused;              // a guard's message, when it refused: the export guard on an
                                    // export, the pruning guard on an import
  bool ok() const { return errors.empty() && refused.empty(); }
};

struct RunSummary {
  std::map<std::string, ServerSummary> servers;
  std::vector<nlohmann::json> plan;  // dry-run export: the planned actions (capped)
  bool ok() const;
};

void to_json(nlohmann::json& j, const ServerSummary& s);
void from_json(const nlohmann::json& j, ServerSummary& s);
void to_json(nlohmann::json& j, const RunSummary& s);
void from_json(const nlohmann::json& j, RunSummary& s);

}  // namespace ws
