#include "ws/export_plan.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <set>

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

std::vector<uint64_t> PlannedExport::records() const {
  std::vector<uint64_t> ids{record_id};
  ids.insert(ids.end(), parts.begin(), parts.end());
  return ids;
}

void to_json(nlohmann::json& j, const PlannedExport& a) {
  j = {{"server", a.server},       {"record_id", a.record_id},     {"action", to_string(a.kind)},
       {"item", a.item},           {"played_at", a.played_at},     {"progress_ms", a.progress_ms},
       {"planned_at", a.planned_at}};
  if (a.unmarked_at != 0) j["unmarked_at"] = a.unmarked_at;
  if (!a.parts.empty()) j["parts"] = a.parts;
  if (a.refused) j["refused"] = true;
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
  a.unmarked_at = j.value("unmarked_at", int64_t{0});
  if (auto parts = j.find("parts"); parts != j.end()) parts->get_to(a.parts);
  a.refused = j.value("refused", false);
}

std::string MixedFile::describe(const std::string& server) const {
  char se[48];
  std::snprintf(se, sizeof se, " S%02dE%02d-E%02d", item.season, item.episode, item.episode_end);
  std::string out = server + ": " + item.title + se + " (item " + item.item_id + "):";
  for (size_t i = 0; i < parts.size(); ++i) {
    std::snprintf(se, sizeof se, "%sE%02d ", i == 0 ? " " : ", ", parts[i].first);
    out += se;
    out += parts[i].second ? "played" : "unplayed";
  }
  out += server_watched ? "; its episodes disagree, the file stays played there"
                        : "; its episodes disagree, the file stays unplayed there";
  return out;
}

MediaItem server_view(const Record& r, const std::string& server, const ServerMeta& m) {
  MediaItem item;
  item.server = server;
  item.item_id = m.item_id;
  item.series_id = m.series_id;
  item.library_id = m.library_id;
  item.type = r.type;
  item.title = r.title;  // servers' own titles are not kept (DESIGN §5)
  item.year = r.year;
  item.season = r.season;
  item.episode = r.episode;
  item.episode_end = m.episode_end;
  item.watched = m.watched;
  item.played_at = m.played_at;
  item.added_at = m.added_at;
  item.progress_ms = m.progress_ms;
  return item;
}

namespace {

PlannedExport make_action(const Record& r, const std::string& server, const ServerMeta& m, PlannedExportKind kind,
                          const ExportPlanOptions& o) {
  PlannedExport a;
  a.server = server;
  a.record_id = r.id;
  a.kind = kind;
  a.item = server_view(r, server, m);
  a.planned_at = o.now;
  return a;
}

// Unplay only when our unmark is newer than the server's play; a newer play there is news the
// next import brings in (rule 1), not something to erase.
bool unmark_is_newer(const Record& r, const ServerMeta& m) { return !r.watched && m.played_at <= r.updated; }

// The state action one record asks of the server, if any.
std::optional<PlannedExportKind> state_action(const Record& r, const ServerMeta& m, const ExportPlanOptions& o) {
  if (r.watched && !m.watched) return PlannedExportKind::play;
  if (m.watched && unmark_is_newer(r, m) && o.unplay) return PlannedExportKind::unplay;
  return std::nullopt;
}

// Plans one record; `given_up` is set when a state write was left out because the server kept
// ignoring it.
std::vector<PlannedExport> plan_one(const Record& r, const std::string& server, const ExportPlanOptions& o,
                                    bool& given_up) {
  std::vector<PlannedExport> actions;
  auto it = r.metadata.find(server);
  if (it == r.metadata.end() || it->second.item_id.empty()) return actions;  // the server lacks it
  const ServerMeta& m = it->second;

  const auto kind = state_action(r, m, o);
  if (kind && m.writes_given_up(o.max_ignored) && !o.retry_given_up) {
    given_up = true;
  } else if (kind == PlannedExportKind::play) {
    auto a = make_action(r, server, m, PlannedExportKind::play, o);
    a.played_at = r.updated > 0 ? r.updated : o.now;
    actions.push_back(std::move(a));
  } else if (kind == PlannedExportKind::unplay) {
    auto a = make_action(r, server, m, PlannedExportKind::unplay, o);
    a.unmarked_at = r.updated;
    actions.push_back(std::move(a));
  }

  // Resume position: only one that came from elsewhere, moved enough, and (on a played item)
  // is far enough in to be a rewatch.
  const auto& p = r.progress;
  bool worth = p.ms > 0 && p.via != server && std::llabs(p.ms - m.progress_ms) > o.progress_min_delta_ms &&
               (!r.watched || p.ms > o.rewatch_threshold_ms);
  if (worth && !(r.watched && !m.watched)) {  // marking played resets the position anyway
    auto a = make_action(r, server, m, PlannedExportKind::progress, o);
    a.progress_ms = p.ms;
    actions.push_back(std::move(a));
  }
  return actions;
}

}  // namespace

std::vector<PlannedExport> plan_record(const Record& r, const std::string& server, const ExportPlanOptions& o) {
  bool given_up = false;
  return plan_one(r, server, o, given_up);
}

FilePlan plan_file(const std::vector<Record>& records, const std::string& server, const ExportPlanOptions& o) {
  FilePlan plan;
  // The parts this server has as one file: same item, marked as a part of a multi-episode file.
  std::vector<const Record*> parts;
  for (const auto& r : records) {
    auto it = r.metadata.find(server);
    if (it == r.metadata.end() || it->second.item_id.empty()) continue;
    if (!parts.empty() && it->second.item_id != parts.front()->metadata.at(server).item_id) continue;
    parts.push_back(&r);
  }
  if (parts.empty()) return plan;
  if (parts.size() == 1) {  // the file's other episodes are not in the state: a file of one
    plan.actions = plan_one(*parts.front(), server, o, plan.given_up);
    return plan;
  }
  const Record& first = *parts.front();
  const ServerMeta& m = first.metadata.at(server);
  bool all_played = true, all_unplayed = true, unmarks_newer = true;
  int64_t latest_play = 0, earliest_unmark = INT64_MAX;
  for (const Record* r : parts) {
    all_played = all_played && r->watched;
    all_unplayed = all_unplayed && !r->watched;
    unmarks_newer = unmarks_newer && unmark_is_newer(*r, r->metadata.at(server));
    latest_play = std::max(latest_play, r->updated);
    earliest_unmark = std::min(earliest_unmark, r->updated);
  }
  if (!all_played && !all_unplayed) {
    MixedFile mixed;
    mixed.item = server_view(first, server, m);
    mixed.server_watched = m.watched;
    for (const Record* r : parts) mixed.parts.emplace_back(r->episode, r->watched);
    plan.mixed = std::move(mixed);
    return plan;
  }
  std::optional<PlannedExportKind> kind;
  if (all_played && !m.watched) kind = PlannedExportKind::play;
  if (all_unplayed && m.watched && unmarks_newer && o.unplay) kind = PlannedExportKind::unplay;
  if (!kind) return plan;
  if (m.writes_given_up(o.max_ignored) && !o.retry_given_up) {
    plan.given_up = true;
    return plan;
  }
  auto a = make_action(first, server, m, *kind, o);
  if (*kind == PlannedExportKind::play) {
    a.played_at = latest_play > 0 ? latest_play : o.now;
  } else {
    // Rule 9: a play there after the first of the unmarks is a re-watch of some of the file.
    a.unmarked_at = earliest_unmark;
  }
  for (size_t i = 1; i < parts.size(); ++i) a.parts.push_back(parts[i]->id);
  plan.actions.push_back(std::move(a));
  return plan;
}

namespace {

// Plans records one at a time (a whole store, the changed ones, or a push's), then decides the
// guard.
class Planner {
 public:
  Planner(const RecordSource& source, const std::string& server, const ExportPlanOptions& o)
      : source_(source), server_(server), o_(o) {
    plan_.server = server;
  }

  bool visit(const Record& r) {
    ++plan_.compared;
    auto it = r.metadata.find(server_);
    if (it == r.metadata.end()) return true;
    if (it->second.watched) ++plan_.played_on_server;
    if (it->second.episode_end == -1 || it->second.item_id.empty()) {
      bool given_up = false;
      add(r.id, plan_one(r, server_, o_, given_up));
      plan_.given_up += given_up ? 1 : 0;
      return true;
    }
    // One write per file, planned from every part (rule 6), whichever part is visited first.
    if (!files_planned_.insert(it->second.item_id).second) return true;
    auto file = plan_file(source_.records_of_item(server_, it->second.item_id), server_, o_);
    add(r.id, std::move(file.actions));
    if (file.mixed) plan_.mixed.push_back(std::move(*file.mixed));
    plan_.given_up += file.given_up ? 1 : 0;
    return true;
  }

  // `partial`: only some records were visited (push mode); the guard needs the server's whole
  // played count, a full scan, worth doing only when the guard could trip.
  ExportPlan finish(bool partial) {
    if (partial && guard_needs_played_count(plan_.unplays, o_.unmarks_in_window, o_.guard)) {
      plan_.played_on_server = 0;
      source_.for_each([&](const Record& r) {
        if (auto it = r.metadata.find(server_); it != r.metadata.end() && it->second.watched) ++plan_.played_on_server;
        return true;
      });
    }
    GuardCheck check;
    check.server = server_;
    check.planned = plan_.unplays;
    check.played = plan_.played_on_server;
    check.written_in_window = o_.unmarks_in_window;
    plan_.guard = check_export_guard(check, o_.guard);
    plan_.options = o_;
    return std::move(plan_);
  }

  // Everything planned so far, counts and guard aside (plan_again).
  std::vector<PlannedExport> take_actions() { return std::move(plan_.actions); }

 private:
  void add(uint64_t source, std::vector<PlannedExport>&& actions) {
    if (actions.empty()) return;
    plan_.sources.push_back(source);
    for (auto& a : actions) {
      if (a.kind == PlannedExportKind::unplay) ++plan_.unplays;
      ++plan_.planned;
      if (plan_.actions.size() < o_.keep_actions) plan_.actions.push_back(std::move(a));
    }
  }

  const RecordSource& source_;
  const std::string& server_;
  const ExportPlanOptions& o_;
  ExportPlan plan_;
  std::set<std::string> files_planned_;  // multi-episode files of this server already planned
};

}  // namespace

ExportPlan plan_export(const RecordSource& source, const std::string& server, const ExportPlanOptions& o) {
  Planner planner(source, server, o);
  auto visit = [&](const Record& r) { return planner.visit(r); };
  if (o.since > 0) {
    source.for_each_changed_since(o.since, visit);
  } else {
    source.for_each(visit);
  }
  return planner.finish(o.since > 0);
}

ExportPlan plan_records(const RecordSource& source, const std::string& server, const std::vector<Record>& records,
                        const ExportPlanOptions& o) {
  Planner planner(source, server, o);
  for (const auto& r : records) planner.visit(r);
  return planner.finish(true);
}

std::vector<PlannedExport> plan_again(const RecordSource& source, const std::string& server,
                                      const std::vector<Record>& records, const ExportPlanOptions& o) {
  ExportPlanOptions all = o;
  all.keep_actions = SIZE_MAX;
  Planner planner(source, server, all);
  for (const auto& r : records) planner.visit(r);
  return planner.take_actions();
}

}  // namespace ws
