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
  uint64_t gone = 0;      // export actions on items the server no longer has (rule 8; not failures)
  uint64_t skipped = 0;   // unplays left alone: played there again after the unmark (rule 9)
  uint64_t ignored = 0;   // writes the server answered as done but did not keep (read back)
  uint64_t given_up = 0;  // writes not planned: ignored export.max_ignored times already
  uint64_t mixed = 0;     // multi-episode files left as they are: their episodes disagree (rule 6)
  std::string import_kind;  // import: "full" or "delta" (DESIGN §5 "Incremental import"); "" none
  int64_t since = 0;        // a delta: changes since this time (unix seconds)
  std::vector<std::string> errors;  // first few, each names the server and what failed
  std::string refused;              // a guard's message, when it refused: the export guard on an
                                    // export, the pruning guard on an import
  bool ok() const { return errors.empty() && refused.empty(); }
};

struct RunSummary {
  std::map<std::string, ServerSummary> servers;
  // An export's plan (capped): each action as the outbox holds it (PlannedExport's JSON; with
  // "refused": true when the guard refused it), and {"server", "action": "mixed", "item",
  // "parts": [[episode, played]], "note"} for each multi-episode file left as it is.
  std::vector<nlohmann::json> plan;
  bool ok() const;
  // Logs `error` and keeps it among the server's first few (the log has them all).
  void add_error(const std::string& server, const std::string& error);
};

void to_json(nlohmann::json& j, const ServerSummary& s);
void from_json(const nlohmann::json& j, ServerSummary& s);
void to_json(nlohmann::json& j, const RunSummary& s);
void from_json(const nlohmann::json& j, RunSummary& s);

}  // namespace ws
