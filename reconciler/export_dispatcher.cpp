#include "ws/export_dispatcher.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "ws/job_results.h"
#include "ws/protocol.h"

namespace ws {
namespace {

constexpr size_t kMaxListedPlan = 1000;  // plan entries a summary lists

std::string dump_entry(const PlannedExport& a) {
  // `replace`: a title from a server may hold bytes that are not UTF-8.
  return nlohmann::json(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Whether a read-back shows the server kept the state the action wrote.
bool kept(const PlannedExport& a, const ReadBackState& state) {
  switch (a.kind) {
    case PlannedExportKind::play: return state.watched;
    case PlannedExportKind::unplay: return !state.watched;
    case PlannedExportKind::progress: return true;  // servers round positions: not judged here
  }
  return true;
}

std::string left_plan_key(const std::string& server) { return server + "/plan"; }

// The `<server>/plan` entry: what plan_again needs of the options, and the records left.
std::string dump_left_plan(const std::string& server, const ExportPlanOptions& o, const std::vector<uint64_t>& sources,
                           size_t from) {
  nlohmann::json options = {{"now", o.now},
                            {"progress_min_delta_ms", o.progress_min_delta_ms},
                            {"rewatch_threshold_ms", o.rewatch_threshold_ms},
                            {"max_ignored", o.max_ignored},
                            {"retry_given_up", o.retry_given_up},
                            {"unplay", o.unplay}};
  nlohmann::json left = nlohmann::json::array();
  for (size_t i = from; i < sources.size(); ++i) left.push_back(sources[i]);
  return nlohmann::json{{"server", server}, {"plan_left", std::move(left)}, {"options", std::move(options)}}.dump();
}

}  // namespace

std::optional<ExportDispatcher::LeftPlan> ExportDispatcher::read_left_plan(std::string_view value) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("plan_left")) return std::nullopt;
  try {
    LeftPlan left;
    j.at("server").get_to(left.server);
    j.at("plan_left").get_to(left.sources);
    const auto& o = j.at("options");
    o.at("now").get_to(left.options.now);
    o.at("progress_min_delta_ms").get_to(left.options.progress_min_delta_ms);
    o.at("rewatch_threshold_ms").get_to(left.options.rewatch_threshold_ms);
    o.at("max_ignored").get_to(left.options.max_ignored);
    o.at("retry_given_up").get_to(left.options.retry_given_up);
    o.at("unplay").get_to(left.options.unplay);
    return left;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

ExportDispatcher::ExportDispatcher(Store& store, JobBroker& broker, const ReconcilerOptions& options,
                                   std::string job_prefix, RunSummary& summary, Callbacks callbacks)
    : store_(store),
      broker_(broker),
      options_(options),
      job_prefix_(std::move(job_prefix)),
      summary_(summary),
      callbacks_(std::move(callbacks)) {}

void ExportDispatcher::add_error(const std::string& server, const std::string& error) {
  summary_.add_error(server, error);
}

ExportPlanOptions ExportDispatcher::plan_options(const ServerConfig& server_config, bool full) const {
  const std::string& server = server_config.name;
  const auto& config = options_.config;
  ExportPlanOptions o;
  o.unplay = server_config.mark_unplayed;
  // lastSync is the previous export's start, in whole seconds, and the store lists records changed
  // strictly after `since`: a record changed later in that same second (by an import or a webhook
  // that followed the plan) would never be planned. Look at that second again: a record whose
  // server already agrees plans nothing.
  const int64_t last_export = store_.last_sync(server, SyncDirection::export_);
  o.since = full || last_export <= 1 ? 0 : last_export - 1;
  o.now = now();
  o.progress_min_delta_ms = int64_t{config.progress_min_delta_s} * 1000;
  o.rewatch_threshold_ms = int64_t{config.progress_rewatch_threshold_s} * 1000;
  o.max_ignored = config.export_max_ignored;
  o.retry_given_up = full;
  o.guard.share = config.export_guard_share;
  o.guard.window_s = config.export_guard_window_s;
  o.unmarks_in_window = store_.unmarks_written(server, o.now - o.guard.window_s);
  return o;
}

void ExportDispatcher::list_plan(const ExportPlan& plan, bool refused) {
  for (const auto& a : plan.actions) {
    if (summary_.plan.size() >= kMaxListedPlan) return;
    nlohmann::json entry = a;
    if (refused) entry["refused"] = true;
    summary_.plan.push_back(std::move(entry));
  }
  for (const auto& m : plan.mixed) {
    if (summary_.plan.size() >= kMaxListedPlan) return;
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& [episode, played] : m.parts) parts.push_back({episode, played});
    summary_.plan.push_back(
        {{"server", plan.server}, {"action", "mixed"}, {"item", m.item}, {"parts", parts}, {"note", m.describe(plan.server)}});
  }
}

void ExportDispatcher::dispatch(ExportPlan plan, const DispatchMode& mode) {
  const std::string server = plan.server;
  auto& summary = summary_.servers[server];
  const uint64_t planned = std::max<uint64_t>(plan.planned, plan.actions.size());
  summary.planned += planned;
  summary.mixed += plan.mixed.size();
  summary.given_up += plan.given_up;
  for (const auto& m : plan.mixed) spdlog::info("{}", m.describe(server));
  if (plan.given_up > 0)
    spdlog::warn("{}: {} writes not planned: the server ignored them {} times already (state:unmatched lists them)",
                 server, plan.given_up, options_.config.export_max_ignored);
  spdlog::info("{}: export plan: {} actions over {} records", server, planned, plan.compared);
  const bool refused = plan.guard.tripped && !mode.force;
  if (plan.guard.tripped) {
    spdlog::warn("{}{}", plan.guard.message, mode.force ? "; --force: exporting anyway" : "");
    if (refused) summary.refused = plan.guard.message;
  }
  list_plan(plan, refused);
  if (mode.dry_run || refused) return;
  auto& exp = servers_[server];
  if (mode.force) {
    // Pushes the guard refused wait in the outbox for this: send those the plan does not replace
    // (a plan planned again in chunks drops them as its actions replace them: next_actions).
    for (auto& waiting : refused_in_outbox(server)) {
      const bool replaced =
          plan.complete() && std::any_of(plan.actions.begin(), plan.actions.end(),
                                         [&](const PlannedExport& a) { return a.key() == waiting.key(); });
      if (replaced) continue;
      waiting.refused = false;
      ++summary.planned;
      std::string key = waiting.key();
      exp.refused.insert_or_assign(std::move(key), std::move(waiting));
      exp.refused_unsaved = true;
    }
  }
  if (!plan.complete() && exp.replan) {
    // One plan at a time is planned again (a run dispatches a server once): a second is planned
    // whole now.
    std::vector<Record> records;
    for (uint64_t id : plan.sources)
      if (auto record = store_.get(id)) records.push_back(std::move(*record));
    plan.actions = plan_again(store_, server, records, plan.options);
    plan.planned = plan.actions.size();
    summary.planned = summary.planned - planned + plan.planned;
  }
  if (plan.complete()) {
    for (auto& a : plan.actions) exp.ready.push_back(std::move(a));
  } else {
    Replan replan;
    replan.sources = std::move(plan.sources);
    replan.options = plan.options;
    replan.counted = planned;
    exp.replan = std::move(replan);
  }
  plan = ExportPlan{};  // what it kept for the listing goes now
  start_sending(server);
}

void ExportDispatcher::push(const ServerConfig& server_config, const std::vector<uint64_t>& record_ids,
                            const DispatchMode& mode) {
  const std::string& server = server_config.name;
  std::vector<Record> records;
  for (uint64_t id : record_ids)
    if (auto r = store_.get(id)) records.push_back(std::move(*r));
  // A push looks only at these records, as push mode does.
  auto o = plan_options(server_config, false);
  auto plan = plan_records(store_, server, records, o);
  if (plan.guard.tripped && !mode.force && !mode.dry_run) {
    // Refused, but not forgotten: the push waits in the outbox until `state:export --force`.
    auto& summary = summary_.servers[server];
    summary.planned += plan.actions.size();
    summary.refused = plan.guard.message;
    spdlog::warn("{}; the push waits in the outbox (state:export --force sends it)", plan.guard.message);
    auto batch = store_.begin_write();
    for (auto& a : plan.actions) {
      a.refused = true;
      batch.outbox_put(a.key(), dump_entry(a));
    }
    if (auto c = batch.commit(); !c) add_error(server, server + ": keeping the refused push failed: " + c.error().message);
    list_plan(plan, true);
    return;
  }
  dispatch(std::move(plan), mode);
}

void ExportDispatcher::resume(std::vector<PlannedExport> actions, bool force) {
  std::map<std::string, std::vector<PlannedExport>> per_server;
  for (auto& a : actions) {
    if (a.refused && !force) continue;  // a refused push waits for --force
    a.refused = false;
    per_server[a.server].push_back(std::move(a));
  }
  for (auto& [server, list] : per_server) {
    spdlog::info("{}: resuming {} export actions left in the outbox", server, list.size());
    summary_.servers[server].planned += list.size();
    auto& exp = servers_[server];
    for (auto& a : list) exp.ready.push_back(std::move(a));
    start_sending(server);
  }
}

void ExportDispatcher::resume_plan(LeftPlan left) {
  const std::string server = left.server;
  auto& exp = servers_[server];
  spdlog::info("{}: resuming an export plan left in the outbox: {} records to plan again", server,
               left.sources.size());
  Replan replan;
  replan.sources = std::move(left.sources);
  replan.options = std::move(left.options);
  replan.options.keep_actions = SIZE_MAX;
  replan.counted = replan.sources.size();  // about one action per record, until they are planned
  summary_.servers[server].planned += replan.counted;
  exp.left_in_outbox = true;
  if (exp.replan) {  // not expected (one entry per server); its rest is planned with the first
    exp.replan->sources.insert(exp.replan->sources.end(), replan.sources.begin(), replan.sources.end());
    exp.replan->counted += replan.counted;
  } else {
    exp.replan = std::move(replan);
  }
  start_sending(server);
}

void ExportDispatcher::start_sending(const std::string& server) {
  auto& exp = servers_[server];
  if (!top_up(server)) {
    if (exp.outstanding == 0) exp.failed = false;  // nothing went out: no end to report
    return;
  }
  if (exp.outstanding == 0 && callbacks_.on_server_done) callbacks_.on_server_done(server, true);
}

bool ExportDispatcher::top_up(const std::string& server) {
  auto& exp = servers_[server];
  const bool outbox_stale = (exp.left_in_outbox && !exp.replan) || exp.refused_unsaved;
  if (exp.outstanding > kWindowJobs / 2 || (!exp.pending() && !outbox_stale)) return true;
  const size_t per_job = static_cast<size_t>(std::max(1, options_.actions_per_job));
  const bool replanning = exp.replan.has_value();
  auto actions = next_actions(server, static_cast<size_t>(kWindowJobs - exp.outstanding) * per_job);
  const bool sent = send(server, actions);
  // A large plan reads its records and their answers all over the store: let the pages go as it
  // goes (a push's few records are not worth it).
  if (replanning) store_.release_mapped_pages();
  if (sent) return true;
  // Persisting failed: nothing more goes out for this server in this dispatch.
  exp.ready.clear();
  exp.replan.reset();
  exp.refused.clear();
  exp.failed = true;
  return false;
}

std::vector<PlannedExport> ExportDispatcher::next_actions(const std::string& server, size_t most) {
  auto& exp = servers_[server];
  auto& summary = summary_.servers[server];
  std::vector<PlannedExport> out;
  while (out.size() < most && !exp.ready.empty()) {
    out.push_back(std::move(exp.ready.front()));
    exp.ready.pop_front();
  }
  while (out.size() < most && exp.replan) {
    Replan& replan = *exp.replan;
    std::vector<Record> records;
    const size_t end = std::min(replan.sources.size(), replan.next + (most - out.size()));
    for (; replan.next < end; ++replan.next)
      if (auto record = store_.get(replan.sources[replan.next])) records.push_back(std::move(*record));
    for (auto& a : plan_again(store_, server, records, replan.options)) {
      ++replan.produced;
      if (exp.refused.erase(a.key()) > 0) --summary.planned;  // the plan replaces a refused push
      out.push_back(std::move(a));
    }
    if (replan.next == replan.sources.size()) {
      // Planned again in full: the summary counts what was planned now (records may have changed
      // in between, by a webhook).
      summary.planned = summary.planned - replan.counted + replan.produced;
      exp.replan.reset();
    }
  }
  if (exp.ready.empty() && !exp.replan) {
    while (out.size() < most && !exp.refused.empty()) {
      out.push_back(std::move(exp.refused.begin()->second));
      exp.refused.erase(exp.refused.begin());
    }
  }
  return out;
}

std::vector<PlannedExport> ExportDispatcher::refused_in_outbox(const std::string& server) const {
  std::vector<PlannedExport> refused;
  for (const auto& [key, value] : store_.outbox()) {
    auto j = nlohmann::json::parse(value, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.value("refused", false) || j.value("server", "") != server) continue;
    try {
      refused.push_back(j.get<PlannedExport>());
    } catch (const std::exception& e) {
      spdlog::warn("outbox entry '{}' is unreadable and stays: {}", key, e.what());
    }
  }
  return refused;
}

bool ExportDispatcher::send(const std::string& server, const std::vector<PlannedExport>& actions) {
  // The outbox first: a crash after this point resumes the writes, it never forgets them. A plan
  // planned again in windows keeps its rest there in the same transaction.
  auto& exp = servers_[server];
  auto batch = store_.begin_write();
  for (const auto& a : actions) batch.outbox_put(a.key(), dump_entry(a));
  if (exp.refused_unsaved) {  // --force lets them go: a restart now resumes them too
    for (const auto& [key, a] : exp.refused) batch.outbox_put(key, dump_entry(a));
  }
  if (exp.replan) {
    batch.outbox_put(left_plan_key(server),
                     dump_left_plan(server, exp.replan->options, exp.replan->sources, exp.replan->next));
  } else if (exp.left_in_outbox) {
    batch.outbox_erase(left_plan_key(server));
  }
  if (auto c = batch.commit(); !c) {
    add_error(server, server + ": persisting the export plan failed: " + c.error().message);
    return false;
  }
  exp.left_in_outbox = exp.replan.has_value();
  exp.refused_unsaved = false;
  if (actions.empty()) return true;
  submit_jobs(server, actions);
  const auto& summary = summary_.servers[server];
  if (callbacks_.on_progress) callbacks_.on_progress(server, summary.done + summary.failed, summary.planned);
  return true;
}

void ExportDispatcher::submit_jobs(const std::string& server, const std::vector<PlannedExport>& actions) {
  const size_t per_job = static_cast<size_t>(std::max(1, options_.actions_per_job));
  for (size_t i = 0; i < actions.size(); i += per_job) {
    nlohmann::json list = nlohmann::json::array();
    for (size_t k = i; k < std::min(actions.size(), i + per_job); ++k) {
      const auto& a = actions[k];
      nlohmann::json entry = {{"key", a.key()},
                              {"action", to_string(a.kind)},
                              {"item", a.item},
                              {"played_at", a.played_at},
                              {"progress_ms", a.progress_ms}};
      if (a.unmarked_at != 0) entry["unmarked_at"] = a.unmarked_at;
      list.push_back(std::move(entry));
      in_flight_[a.key()] = a;
    }
    Job job;
    job.id = job_prefix_ + std::to_string(++next_job_);
    job.service = std::string(protocol::kServiceExport);
    job.server = server;
    job.type = std::string(protocol::kJobExport);
    job.body = {{"server", server}, {"actions", std::move(list)}};
    broker_.submit(std::move(job));
    ++servers_[server].outstanding;
  }
}

void ExportDispatcher::on_event(const BrokerEvent& e) {
  if (e.kind == BrokerEvent::Kind::done) {
    on_done(e.job, e.body);
    return;
  }
  if (e.kind == BrokerEvent::Kind::failed) {
    std::string error = e.body.value("error", e.job.last_error);
    if (error.empty()) error = "job " + e.job.id + " failed";
    on_failed(e.job, error);
  }
}

void ExportDispatcher::on_done(const Job& job, const nlohmann::json& result) {
  const std::string& server = job.server;
  auto& summary = summary_.servers[server];
  auto read = read_export_result(result, job.body);  // the broker checked it; read it the same way
  ExportResult outcome = read ? std::move(read.value()) : ExportResult{};
  if (!read) add_error(server, server + ": the exporter's result is unreadable: " + read.error().message);
  const int64_t at = now();
  uint64_t unmarks = 0;
  auto batch = store_.begin_write();
  for (const auto& d : outcome.done) {
    auto it = in_flight_.find(d.key);
    if (it == in_flight_.end()) continue;
    const PlannedExport& a = it->second;
    ++summary.done;
    if (d.outcome == ExportOutcomeKind::gone) {
      // Rule 8: the server no longer has it. Its metadata and key go; the state stays.
      batch.drop_server_item(server, a.item.item_id);
      ++summary.gone;
      spdlog::info("{}: item {} ('{}') is gone from the server; its metadata is dropped", server, a.item.item_id,
                   a.item.title);
    } else {
      bool ignored = false;
      for (uint64_t id : a.records()) {
        auto record = batch.get(id);
        if (!record) continue;
        auto m = record->metadata.find(server);
        if (m == record->metadata.end() || m->second.item_id != a.item.item_id) continue;  // changed meanwhile
        ServerMeta& meta = m->second;
        if (d.state) {
          // What the server reports now, never merely what was sent (DESIGN §5 "After a write").
          meta.watched = d.state->watched;
          meta.played_at = d.state->watched ? d.state->played_at : 0;
          meta.progress_ms = d.state->progress_ms;
          if (a.kind != PlannedExportKind::progress && d.outcome != ExportOutcomeKind::skipped) {
            if (d.written && !kept(a, *d.state)) {
              // Answered as done, not kept. Counted in a row while the server shows the same flag;
              // push mode looks at the record again next time (updated_at).
              const bool again = meta.ignored_writes > 0 && meta.ignored_watched == d.state->watched;
              meta.ignored_writes = again ? meta.ignored_writes + 1 : 1;
              meta.ignored_watched = d.state->watched;
              record->updated_at = at;
              ignored = true;
            } else if (kept(a, *d.state)) {
              meta.ignored_writes = 0;
            }
          }
        }
        batch.put(*record);
      }
      if (ignored) {
        ++summary.ignored;
        spdlog::warn("{}: the server answered the {} of item {} ('{}') as done but did not keep it (read back)",
                     server, to_string(a.kind), a.item.item_id, a.item.title);
      }
      if (d.outcome == ExportOutcomeKind::skipped) {
        ++summary.skipped;
        spdlog::info("{}: {} of item {} ('{}') not written: {}", server, to_string(a.kind), a.item.item_id,
                     a.item.title, d.reason.empty() ? "skipped" : d.reason);
      }
      if (d.written) ++summary.written;
      if (d.written && !ignored && a.kind == PlannedExportKind::unplay) ++unmarks;
    }
    batch.outbox_erase(d.key);
    in_flight_.erase(it);
  }
  for (const auto& f : outcome.failed) {
    if (!in_flight_.erase(f.key)) continue;
    batch.outbox_erase(f.key);  // lastSync does not move, so the next export plans it again
    ++summary.failed;
    servers_[server].failed = true;
    add_error(server, f.error.empty() ? server + ": a write failed" : f.error);
  }
  if (unmarks > 0) {
    const int64_t window = options_.config.export_guard_window_s;
    batch.add_unmarks_written(server, at, unmarks, at - window);
  }
  // Actions the answer left out are neither done nor failed: they go out again in this run, a
  // bounded number of times, so the run never ends with entries of its own in the outbox.
  std::vector<PlannedExport> again;
  for (const auto& a : job.body.value("actions", nlohmann::json::array())) {
    const std::string key = a.value("key", "");
    auto it = in_flight_.find(key);
    if (it == in_flight_.end()) continue;
    if (++retries_[key] < options_.config.job_max_attempts) {
      again.push_back(it->second);
      continue;
    }
    batch.outbox_erase(key);
    in_flight_.erase(it);
    ++summary.failed;
    servers_[server].failed = true;
    add_error(server, server + ": export action " + key + " came back neither done nor failed " +
                          std::to_string(retries_[key]) + " times; recorded as failed");
  }
  if (auto c = batch.commit(); !c) {
    servers_[server].failed = true;
    add_error(server, server + ": recording export results failed: " + c.error().message);
  }
  if (!again.empty()) {
    spdlog::info("{}: {} export actions came back neither done nor failed; sending them again", server, again.size());
    submit_jobs(server, again);
  }
  if (callbacks_.on_progress) callbacks_.on_progress(server, summary.done + summary.failed, summary.planned);
  job_finished(server);
}

void ExportDispatcher::on_failed(const Job& job, const std::string& error) {
  const std::string& server = job.server;
  auto batch = store_.begin_write();
  for (const auto& a : job.body.value("actions", nlohmann::json::array())) {
    const std::string key = a.value("key", "");
    batch.outbox_erase(key);
    in_flight_.erase(key);
    ++summary_.servers[server].failed;
  }
  if (auto c = batch.commit(); !c) add_error(server, server + ": " + c.error().message);
  servers_[server].failed = true;
  add_error(server, error);
  job_finished(server);
}

void ExportDispatcher::job_finished(const std::string& server) {
  auto& exp = servers_[server];
  --exp.outstanding;
  top_up(server);
  if (exp.outstanding > 0) return;
  const auto& s = summary_.servers[server];
  spdlog::info("{}: export {}: {} planned, {} done ({} written, {} gone, {} skipped, {} ignored), {} failed", server,
               exp.failed ? "failed" : "done", s.planned, s.done, s.written, s.gone, s.skipped, s.ignored, s.failed);
  const bool ok = !exp.failed;
  exp.failed = false;  // a later dispatch to this server starts afresh
  if (callbacks_.on_server_done) callbacks_.on_server_done(server, ok);
}

bool ExportDispatcher::busy() const {
  return std::any_of(servers_.begin(), servers_.end(), [](const auto& s) { return s.second.outstanding > 0; });
}

bool ExportDispatcher::busy(const std::string& server) const {
  auto it = servers_.find(server);
  return it != servers_.end() && it->second.outstanding > 0;
}

}  // namespace ws
