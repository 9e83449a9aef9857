#include "ws/import_pruning.h"

#include <cstdio>

#include "ws/match_keys.h"

namespace ws {
namespace {

std::string percent(double share) {
  char text[32];
  std::snprintf(text, sizeof text, "%g%%", share * 100.0);
  return text;
}

}  // namespace

ImportPruning::Plan ImportPruning::plan(const Store& store, const Guard& guard) const {
  Plan plan;
  plan.server = server_;
  std::vector<std::pair<std::string, uint64_t>> unlisted;
  store.for_each_backend_key(server_, [&](std::string_view key, uint64_t id) {
    ++plan.known;
    if (!listed_.contains(key)) unlisted.emplace_back(key, id);
    return true;
  });
  for (auto& [key, id] : unlisted) {
    auto record = store.get(id);
    // A key of another server whose name starts with this one's and a '/' ("a" and "a/b"), or
    // one whose record no longer has it: not this server's item, nothing to prune.
    if (!record || backend_key(*record, server_) != key) continue;
    const ServerMeta& meta = record->metadata.at(server_);
    if (ignored_libraries_.count(meta.library_id)) continue;  // not listed, yet not gone
    plan.gone.push_back({std::move(key), id, record->title});
  }
  const uint64_t gone = plan.gone.size();
  const double limit = guard.share * static_cast<double>(plan.known);
  if (!guard.force && gone > guard.floor && static_cast<double>(gone) > limit) {
    plan.refused = server_ + ": the import would prune " + std::to_string(gone) + " of the " +
                   std::to_string(plan.known) + " items the state holds for this server (it no longer lists them), " +
                   "over the pruning guard (import.prune_guard " + percent(guard.share) +
                   "); nothing was pruned. A library re-created or a share offline during the server's scan " +
                   "looks like this. If they are really gone, run: watchstate state:import -s " + server_ +
                   " -f --force";
  }
  return plan;
}

uint64_t ImportPruning::apply(WriteBatch& batch, const Plan& plan) {
  if (!plan.allowed()) return 0;
  uint64_t dropped = 0;
  for (const auto& g : plan.gone) dropped += batch.drop_server_key(plan.server, g.key) != 0 ? 1 : 0;
  return dropped;
}

}  // namespace ws
