#include "ws/export_plan.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace ws {

std::string_view to_string(PlannedExportKind kind) {
  switch (kind) {
    case PlannedExportKind::play: return "play";
    case PlannedExportKind::unplay: return "unplay";
    case PlannedExportKind::progress: return "progress";
  }
  return "?";
}

std::optional<PlannedExportKind> parse_planned_export_kind(std::string_view text) {
  if (text == "play") return PlannedExportKind::play;
  if (text == "unplay") return PlannedExportKind::unplay;
  if (text == "progress") return PlannedExportKind::progress;
  return std::nullopt;
}

std::string PlannedExport::key() const {
  // State actions (play/unplay) share one slot so a newer plan's unplay replaces an older play.
  std::string slot = kind == PlannedExportKind::progress ? "progress" : "state";
  return server + "/" + std::to_string(record_id) + "/" + slot;
}

void to_json(nlohmann::json& j, const PlannedExport& a) {
  j = {{"server", a.server},       {"record_id", a.record_id},     {"action", to_string(a.kind)},
       {"item", a.item},           {"played_at", a.played_at},     {"progress_ms", a.progress_ms},
       {"planned_at", a.planned_at}};
}

void from_json(const nlohmann::json& j, PlannedExport& a) {
  a = PlannedExport{};
  j.at("server").get_to(a.server);
  j.at("record_id").get_to(a.record_id);
  auto kind = parse_planned_export_kind(j.at("action").get<std::string>());
  if (!kind) throw nlohmann::json::other_error::create(501, "unknown export action", &j);
  a.kind = *kind;
  j.at("item").get_to(a.item);
  a.played_at = j.value("played_at", int64_t{0});
  a.progress_ms = j.value("progress_ms", int64_t{0});
  a.planned_at = j.value("planned_at", int64_t{0});
}

namespace {

MediaItem server_view(const Record& r, const std::string& server, const ServerMeta& m) {
  MediaItem item;
  item.server = server;
  item.item_id = m.item_id;
  item.series_id = m.series_id;
  item.library_id = m.library_id;
  item.type = r.type;
  item.title = m.title.empty() ? r.title : m.title;
  item.episode_title = m.episode_title;
  item.year = r.year;
  item.season = r.season;
  item.episode = r.episode;
  item.episode_end = m.episode_end;
  item.watched = m.watched;
  item.played_at = m.played_at;
  item.added_at = m.added_at;
  item.progress_ms = m.progress_ms;
  item.path = m.path;
  return item;
}

}  // namespace

std::vector<PlannedExport> plan_record(const Record& r, const std::string& server, const ExportPlanOptions& o) {
  std::vector<PlannedExport> actions;
  auto it = r.metadata.find(server);
  if (it == r.metadata.end() || it->second.item_id.empty()) return actions;  // the server lacks it
  const ServerMeta& m = it->second;
  auto make = [&](PlannedExportKind kind) {
    PlannedExport a;
    a.server = server;
    a.record_id = r.id;
    a.kind = kind;
    a.item = server_view(r, server, m);
    a.planned_at = o.now;
    return a;
  };

  if (r.watched && !m.watched) {
    auto a = make(PlannedExportKind::play);
    a.played_at = r.updated > 0 ? r.updated : o.now;
    actions.push_back(std::move(a));
  } else if (!r.watched && m.watched && m.played_at <= r.updated) {
    // Unplay only when our unmark is newer than the server's play; a newer play there is news
    // the next import brings in (rule 1), not something to erase.
    actions.push_back(make(PlannedExportKind::unplay));
  }

  // Resume position: only one that came from elsewhere, moved enough, and (on a played item)
  // is far enough in to be a rewatch.
  const auto& p = r.progress;
  bool worth = p.ms > 0 && p.via != server && std::llabs(p.ms - m.progress_ms) > o.progress_min_delta_ms &&
               (!r.watched || p.ms > o.rewatch_threshold_ms);
  if (worth && !(r.watched && !m.watched)) {  // marking played resets the position anyway
    auto a = make(PlannedExportKind::progress);
    a.progress_ms = p.ms;
    actions.push_back(std::move(a));
  }
  return actions;
}

ExportPlan plan_export(const Store& store, const std::string& server, const ExportPlanOptions& o) {
  ExportPlan plan;
  plan.server = server;
  auto visit = [&](const Record& r) {
    ++plan.compared;
    if (auto it = r.metadata.find(server); it != r.metadata.end() && it->second.watched) ++plan.played_on_server;
    for (auto& a : plan_record(r, server, o)) {
      if (a.kind == PlannedExportKind::unplay) ++plan.unplays;
      plan.actions.push_back(std::move(a));
    }
    return true;
  };
  if (o.since > 0) {
    store.for_each_changed_since(o.since, visit);
    // Push mode saw only the changed records; the guard needs the server's whole played count.
    // Counting it is a full scan, worth doing only when the guard could trip.
    if (plan.unplays > o.guard_floor) {
      plan.played_on_server = 0;
      store.for_each([&](const Record& r) {
        if (auto it = r.metadata.find(server); it != r.metadata.end() && it->second.watched) ++plan.played_on_server;
        return true;
      });
    }
  } else {
    store.for_each(visit);
  }
  double limit = o.guard_share * static_cast<double>(plan.played_on_server);
  if (plan.unplays > o.guard_floor && static_cast<double>(plan.unplays) > limit) {
    plan.guard_tripped = true;
    plan.guard_message = server + ": the plan would unmark " + std::to_string(plan.unplays) + " of " +
                         std::to_string(plan.played_on_server) + " played items, over the export guard (" +
                         std::to_string(static_cast<int>(o.guard_share * 100)) +
                         "%); check the state, then run with --force to export anyway";
  }
  return plan;
}

}  // namespace ws
