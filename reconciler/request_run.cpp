#include "ws/request_run.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "ws/batch_applier.h"
#include "ws/job_results.h"
#include "ws/protocol.h"

namespace ws {
namespace {

constexpr size_t kMaxErrorsPerServer = 5;   // the summary shows the first few; the log has all
constexpr size_t kMaxDryRunPlan = 1000;     // actions listed by a dry run

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

RequestRun::RequestRun(ControlRequest request, Store& store, JobBroker& broker, const ReconcilerOptions& options,
                       const ServersFile& servers, ProgressFn progress)
    : request_(std::move(request)),
      store_(store),
      broker_(broker),
      options_(options),
      servers_(servers),
      progress_(std::move(progress)) {
  started_at_ = now();
  job_prefix_ = (request_.ref.empty() ? "run-" + std::to_string(started_at_) : request_.ref) + "/";
}

void RequestRun::fail_request(std::string error) {
  spdlog::error("{}", error);
  error_ = std::move(error);
  phase_ = Phase::finished;
}

bool RequestRun::owns(const Job& job) const { return job.id.rfind(job_prefix_, 0) == 0; }

void RequestRun::abort(const std::string& error) {
  if (phase_ == Phase::finished) return;
  // Its queued jobs go; what is in flight comes back later and is ignored as an earlier request's.
  broker_.cancel_queued([this](const Job& job) { return owns(job); });
  fail_request(error);
}

void RequestRun::add_error(const std::string& server, const std::string& error) {
  spdlog::error("{}", error);
  auto& errors = summary_.servers[server].errors;
  if (errors.size() < kMaxErrorsPerServer) errors.push_back(error);
}

void RequestRun::start() {
  for (const auto& name : request_.servers) {
    if (!servers_.find(name)) {
      std::string known;
      for (const auto& s : servers_.servers) known += (known.empty() ? "" : ", ") + s.name;
      fail_request("unknown server '" + name + "' (configured: " + (known.empty() ? "none" : known) + ")");
      return;
    }
  }
  const bool named = !request_.servers.empty();
  for (const auto& s : servers_.servers) {
    if (named && !contains(request_.servers, s.name)) continue;
    if (request_.command == "import") {
      if (s.import_enabled) {
        import_servers_.push_back(s.name);
      } else if (named) {
        add_error(s.name, s.name + ": import is disabled in servers.yaml (import.enabled)");
      }
    } else if (request_.command == "export") {
      if (!s.export_enabled) {
        if (named) add_error(s.name, s.name + ": export is disabled in servers.yaml (export.enabled)");
        continue;
      }
      export_servers_.push_back(s.name);
      // Full mode, or a first export: pull the server's library first, then compare every item.
      if (request_.full || store_.last_sync(s.name, SyncDirection::export_) == 0) import_servers_.push_back(s.name);
    }
  }
  if (import_servers_.empty() && export_servers_.empty() && summary_.servers.empty()) {
    fail_request(servers_.servers.empty() ? "no servers configured: add them to servers.yaml"
                                          : "no server is enabled for " + request_.command);
    return;
  }
  for (const auto& s : import_servers_) summary_.servers[s];
  for (const auto& s : export_servers_) summary_.servers[s];
  phase_ = Phase::importing;
  start_imports();
  maybe_advance();
}

void RequestRun::resume_outbox(const std::vector<std::pair<std::string, std::string>>& outbox) {
  phase_ = Phase::exporting;
  std::map<std::string, std::vector<PlannedExport>> per_server;
  for (const auto& [key, value] : outbox) {
    try {
      auto action = nlohmann::json::parse(value).get<PlannedExport>();
      per_server[action.server].push_back(std::move(action));
    } catch (const std::exception& e) {
      spdlog::error("outbox entry '{}' is unreadable and is dropped: {}", key, e.what());
      auto batch = store_.begin_write();
      batch.outbox_erase(key);
      (void)batch.commit();
    }
  }
  for (auto& [server, actions] : per_server) {
    spdlog::info("{}: resuming {} export actions left in the outbox", server, actions.size());
    exports_[server].move_sync = false;
    summary_.servers[server].planned += actions.size();
    submit_export_jobs(server, std::move(actions));
  }
  maybe_advance();
}

void RequestRun::start_imports() {
  for (const auto& server : import_servers_) {
    auto& imp = imports_[server];
    imp.previous_sync = store_.last_sync(server, SyncDirection::import);
    // Every import pulls whole libraries today (`-f` is the only kind), so every import is full;
    // incremental imports will make this request_.full or a due import.full_every. An export's
    // pull (export -f, a first export) reads whole libraries too but does not prune: its
    // `--force` overrides the export guard and must not override the pruning guard as well, and
    // the export's own 404s drop what it would have written to (rule 8's other half).
    imp.full = request_.command == "import";
    if (imp.full) imp.pruning = ImportPruning(server);
    if (!request_.dry_run) {
      auto batch = store_.begin_write();
      batch.unmatched_clear(server);  // this import reports them anew
      if (auto c = batch.commit(); !c) add_error(server, server + ": " + c.error().message);
    }
    imp.outstanding = 1;
    submit_fetch(server, {{"server", server}, {"kind", "plan"}});
    if (progress_) progress_(server, "plan", 0, 0);
  }
}

void RequestRun::submit_fetch(const std::string& server, nlohmann::json body) {
  Job job;
  job.id = job_prefix_ + std::to_string(++next_job_);
  job.service = std::string(protocol::kServiceFetch);
  job.server = server;
  job.type = std::string(protocol::kJobFetch);
  job.body = std::move(body);
  broker_.submit(std::move(job));
}

void RequestRun::on_events(std::vector<BrokerEvent>& events) {
  std::vector<const BrokerEvent*> batches;
  for (const auto& e : events) {
    if (!owns(e.job)) {
      spdlog::debug("event for job {} of an earlier request ignored", e.job.id);
      continue;
    }
    if (e.kind == BrokerEvent::Kind::batch) batches.push_back(&e);
  }
  // Every batch that arrived together goes into one write transaction (DESIGN §4).
  if (!batches.empty()) apply_batches(batches);
  for (const auto& e : events) {
    if (!owns(e.job) || e.kind == BrokerEvent::Kind::batch) continue;
    const bool fetch = e.job.type == protocol::kJobFetch;
    if (e.kind == BrokerEvent::Kind::done) {
      if (fetch && e.job.body.value("kind", "") == "plan") {
        on_plan_done(e.job, e.body);
      } else if (fetch) {
        on_import_job_finished(e.job, nullptr);
      } else {
        on_export_done(e.job, e.body);
      }
    } else {
      std::string error = e.body.value("error", e.job.last_error);
      if (error.empty()) error = "job " + e.job.id + " failed";
      if (fetch) {
        on_import_job_finished(e.job, &error);
      } else {
        on_export_failed(e.job, error);
      }
    }
  }
  maybe_advance();
}

void RequestRun::on_plan_done(const Job& job, const nlohmann::json& result) {
  const std::string& server = job.server;
  auto& summary = summary_.servers[server];
  const int64_t chunk = int64_t{options_.config.page_size} * options_.pages_per_job;
  auto libraries = read_plan_result(result);  // the broker checked it; read it the same way
  if (!libraries) {
    std::string error = server + ": the fetcher's library plan is unreadable: " + libraries.error().message;
    on_import_job_finished(job, &error);
    return;
  }
  for (const auto& lib : *libraries) {
    if (lib.ignored) {
      imports_[server].pruning.ignore_library(lib.id);
      continue;
    }
    summary.total += static_cast<uint64_t>(lib.total);
    for (int64_t start = 0; start < lib.total; start += chunk) {
      submit_fetch(server, {{"server", server},
                            {"kind", "pages"},
                            {"library", lib.id},
                            {"library_kind", lib.kind},
                            {"start", start},
                            {"count", std::min(chunk, lib.total - start)},
                            {"page_size", options_.config.page_size}});
      ++imports_[server].outstanding;
    }
  }
  if (progress_) progress_(server, "fetch", summary.fetched, summary.total);
  on_import_job_finished(job, nullptr);
}

void RequestRun::apply_batches(std::vector<const BrokerEvent*>& batches) {
  auto write = store_.begin_write();
  std::set<std::string> touched;
  for (const auto* e : batches) {
    const std::string& server = e->job.server;
    std::vector<MediaItem> items;
    if (auto it = e->body.find("items"); it != e->body.end() && it->is_array()) {
      items.reserve(it->size());
      for (const auto& j : *it) {
        try {
          items.push_back(j.get<MediaItem>());
          items.back().server = server;  // a batch speaks for its job's server only
        } catch (const nlohmann::json::exception& ex) {
          spdlog::warn("{}: an item of batch {} is unreadable and skipped: {}", server, e->job.id, ex.what());
        }
      }
    }
    ApplyOptions opts;
    opts.kind = EventKind::import;
    opts.last_sync = imports_[server].previous_sync;
    opts.now = now();
    opts.mapper = mapper_options(options_.config);
    opts.dry_run = request_.dry_run;
    if (auto& imp = imports_[server]; imp.full) opts.listed_keys = imp.pruning.listed_keys();
    if (spdlog::should_log(spdlog::level::trace)) {
      opts.on_decision = [](const MediaItem& item, const MapResult& r) {
        spdlog::trace("{} {} '{}': {} ({})", item.server, item.item_id, item.title, to_string(r.change), r.reason);
      };
    }
    auto counts = apply_items(write, items, opts);
    auto& s = summary_.servers[server];
    s.fetched += counts.fetched;
    s.matched += counts.matched;
    s.unmatched += counts.unmatched;
    s.created += counts.created;
    s.changed += counts.changed;
    touched.insert(server);
  }
  if (!request_.dry_run) {
    if (auto c = write.commit(); !c) {
      for (const auto& server : touched) {
        imports_[server].failed = true;
        add_error(server, server + ": applying a batch failed: " + c.error().message);
      }
    }
  }
  if (progress_)
    for (const auto& server : touched) progress_(server, "fetch", summary_.servers[server].fetched, summary_.servers[server].total);
}

void RequestRun::on_import_job_finished(const Job& job, const std::string* error) {
  auto& imp = imports_[job.server];
  if (error) {
    imp.failed = true;
    add_error(job.server, *error);
  }
  if (--imp.outstanding > 0) return;
  finish_import_server(job.server);
}

// The server's last page is applied: prune what a successful full import no longer listed (rule
// 8) and move lastSync, in one transaction.
void RequestRun::finish_import_server(const std::string& server) {
  auto& imp = imports_[server];
  auto& s = summary_.servers[server];
  std::optional<ImportPruning::Plan> prune;
  if (!imp.failed && imp.full) {
    ImportPruning::Guard guard;
    guard.share = options_.config.import_prune_guard_share;
    guard.force = request_.force;
    const auto planning = std::chrono::steady_clock::now();
    prune = imp.pruning.plan(store_, guard);
    spdlog::debug("{}: {} of the {} items the state holds are no longer listed (checked in {} ms)", server,
                  prune->gone.size(), prune->known,
                  std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - planning)
                      .count());
    if (!prune->allowed()) {
      s.refused = prune->refused;
      spdlog::warn("{}", prune->refused);
    }
  }
  if (!imp.failed && !request_.dry_run) {
    auto batch = store_.begin_write();
    const uint64_t pruned = prune ? ImportPruning::apply(batch, *prune) : 0;
    // lastSync moves only when the server's whole import succeeded (DESIGN §4).
    batch.set_last_sync(server, SyncDirection::import, started_at_);
    if (auto c = batch.commit(); !c) {
      add_error(server, server + ": " + c.error().message);
    } else {
      s.pruned = pruned;
    }
  } else if (prune && prune->allowed()) {
    s.pruned = prune->gone.size();  // a dry run: what the real run would prune
  }
  if (prune && prune->allowed()) {
    for (const auto& g : prune->gone)
      spdlog::trace("{}: {} '{}' (record {}) is no longer listed: its {} metadata is pruned", server, g.key, g.title,
                    g.record_id, server);
  }
  spdlog::info("{}: import {}: {} fetched, {} matched, {} new, {} changed, {} unmatched, {} pruned{}", server,
               imp.failed ? "failed" : "done", s.fetched, s.matched, s.created, s.changed, s.unmatched, s.pruned,
               prune && !prune->allowed() ? " (the pruning guard refused " + std::to_string(prune->gone.size()) + ")"
                                          : std::string());
}

void RequestRun::maybe_advance() {
  if (phase_ == Phase::importing) {
    for (const auto& [server, imp] : imports_)
      if (imp.outstanding > 0) return;
    phase_ = Phase::exporting;
    start_exports();
  }
  if (phase_ == Phase::exporting) {
    for (const auto& [server, exp] : exports_)
      if (exp.outstanding > 0) return;
    phase_ = Phase::finished;
  }
}

void RequestRun::start_exports() {
  for (const auto& server : export_servers_) export_server(server);
}

void RequestRun::export_server(const std::string& server) {
  if (auto it = imports_.find(server); it != imports_.end() && it->second.failed) {
    add_error(server, server + ": export skipped because pulling its library failed");
    return;
  }
  ExportPlanOptions o;
  // lastSync is the previous export's start, in whole seconds, and the store lists records changed
  // strictly after `since`: a record changed later in that same second (by an import or a webhook
  // that followed the plan) would never be planned. Look at that second again: a record whose
  // server already agrees plans nothing.
  const int64_t last_export = store_.last_sync(server, SyncDirection::export_);
  o.since = request_.full || last_export <= 1 ? 0 : last_export - 1;
  o.now = now();
  o.progress_min_delta_ms = int64_t{options_.config.progress_min_delta_s} * 1000;
  o.rewatch_threshold_ms = int64_t{options_.config.progress_rewatch_threshold_s} * 1000;
  o.guard_share = options_.config.export_guard_share;
  auto plan = plan_export(store_, server, o);
  auto& summary = summary_.servers[server];
  summary.planned = plan.actions.size();
  spdlog::info("{}: export plan ({} mode): {} actions over {} records", server, o.since ? "push" : "full",
               plan.actions.size(), plan.compared);
  if (plan.guard_tripped && !request_.force) {
    summary.refused = plan.guard_message;
    spdlog::warn("{}", plan.guard_message);
    return;
  }
  if (request_.dry_run) {
    for (const auto& a : plan.actions) {
      if (summary_.plan.size() >= kMaxDryRunPlan) break;
      summary_.plan.push_back(nlohmann::json(a));
    }
    return;
  }
  if (plan.actions.empty()) {
    finish_export_server(server);
    return;
  }
  // The outbox first: a crash after this point resumes the writes, it never forgets them.
  auto batch = store_.begin_write();
  // (`replace`: a title from a server may hold bytes that are not UTF-8)
  for (const auto& a : plan.actions)
    batch.outbox_put(a.key(), nlohmann::json(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (auto c = batch.commit(); !c) {
    add_error(server, server + ": persisting the export plan failed: " + c.error().message);
    return;
  }
  submit_export_jobs(server, std::move(plan.actions));
  if (progress_) progress_(server, "export", 0, summary.planned);
}

void RequestRun::submit_export_jobs(const std::string& server, std::vector<PlannedExport> actions) {
  const size_t per_job = static_cast<size_t>(options_.actions_per_job);
  for (size_t i = 0; i < actions.size(); i += per_job) {
    nlohmann::json list = nlohmann::json::array();
    for (size_t k = i; k < std::min(actions.size(), i + per_job); ++k) {
      const auto& a = actions[k];
      list.push_back({{"key", a.key()},
                      {"action", to_string(a.kind)},
                      {"item", a.item},
                      {"played_at", a.played_at},
                      {"progress_ms", a.progress_ms}});
      in_flight_actions_[a.key()] = a;
    }
    Job job;
    job.id = job_prefix_ + std::to_string(++next_job_);
    job.service = std::string(protocol::kServiceExport);
    job.server = server;
    job.type = std::string(protocol::kJobExport);
    job.body = {{"server", server}, {"actions", std::move(list)}};
    broker_.submit(std::move(job));
    ++exports_[server].outstanding;
  }
}

void RequestRun::on_export_done(const Job& job, const nlohmann::json& result) {
  const std::string& server = job.server;
  auto& summary = summary_.servers[server];
  auto read = read_export_result(result, job.body);  // the broker checked it; read it the same way
  ExportResult outcome = read ? std::move(read.value()) : ExportResult{};
  if (!read) add_error(server, server + ": the exporter's result is unreadable: " + read.error().message);
  auto batch = store_.begin_write();
  for (const auto& d : outcome.done) {
    auto it = in_flight_actions_.find(d.key);
    if (it == in_flight_actions_.end()) continue;
    const PlannedExport& a = it->second;
    // What we wrote is now what the server has: the next import sees no change, and a later
    // unmark there is recognised as one (DESIGN §5 "Export", rule 2).
    if (auto record = batch.get(a.record_id)) {
      auto& m = record->metadata[server];
      switch (a.kind) {
        case PlannedExportKind::play:
          m.watched = true;
          m.played_at = a.played_at;
          break;
        case PlannedExportKind::unplay:
          m.watched = false;
          m.played_at = 0;
          m.progress_ms = 0;
          break;
        case PlannedExportKind::progress:
          m.progress_ms = a.progress_ms;
          break;
      }
      batch.put(*record);
    }
    batch.outbox_erase(d.key);
    ++summary.done;
    if (d.written) ++summary.written;
    in_flight_actions_.erase(it);
  }
  for (const auto& f : outcome.failed) {
    if (!in_flight_actions_.erase(f.key)) continue;
    batch.outbox_erase(f.key);  // lastSync does not move, so the next export plans it again
    ++summary.failed;
    exports_[server].failed = true;
    add_error(server, f.error.empty() ? server + ": a write failed" : f.error);
  }
  // Actions the answer left out are neither done nor failed: they go out again in this run, a
  // bounded number of times, so the run never ends with entries of its own in the outbox.
  std::vector<PlannedExport> again;
  for (const auto& a : job.body.value("actions", nlohmann::json::array())) {
    const std::string key = a.value("key", "");
    auto it = in_flight_actions_.find(key);
    if (it == in_flight_actions_.end()) continue;
    if (++action_retries_[key] < options_.config.job_max_attempts) {
      again.push_back(it->second);
      continue;
    }
    batch.outbox_erase(key);
    in_flight_actions_.erase(it);
    ++summary.failed;
    exports_[server].failed = true;
    add_error(server, server + ": export action " + key + " came back neither done nor failed " +
                          std::to_string(action_retries_[key]) + " times; recorded as failed");
  }
  if (auto c = batch.commit(); !c) {
    exports_[server].failed = true;
    add_error(server, server + ": recording export results failed: " + c.error().message);
  }
  if (!again.empty()) {
    spdlog::info("{}: {} export actions came back neither done nor failed; sending them again", server, again.size());
    submit_export_jobs(server, std::move(again));
  }
  if (progress_) progress_(server, "export", summary.done + summary.failed, summary.planned);
  if (--exports_[server].outstanding == 0) finish_export_server(server);
}

void RequestRun::on_export_failed(const Job& job, const std::string& error) {
  const std::string& server = job.server;
  auto batch = store_.begin_write();
  for (const auto& a : job.body.value("actions", nlohmann::json::array())) {
    const std::string key = a.value("key", "");
    batch.outbox_erase(key);
    in_flight_actions_.erase(key);
    ++summary_.servers[server].failed;
  }
  (void)batch.commit();
  exports_[server].failed = true;
  add_error(server, error);
  if (--exports_[server].outstanding == 0) finish_export_server(server);
}

void RequestRun::finish_export_server(const std::string& server) {
  auto& exp = exports_[server];
  if (!exp.failed && exp.move_sync && !request_.dry_run) {
    auto batch = store_.begin_write();
    batch.set_last_sync(server, SyncDirection::export_, started_at_);
    if (auto c = batch.commit(); !c) add_error(server, server + ": " + c.error().message);
  }
  const auto& s = summary_.servers[server];
  spdlog::info("{}: export {}: {} planned, {} done ({} written), {} failed", server, exp.failed ? "failed" : "done",
               s.planned, s.done, s.written, s.failed);
}

}  // namespace ws
