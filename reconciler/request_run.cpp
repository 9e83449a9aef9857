#include "ws/request_run.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "ws/batch_applier.h"
#include "ws/import_kind.h"
#include "ws/job_results.h"
#include "ws/media_item_msgpack.h"
#include "ws/protocol.h"

namespace ws {
namespace {

constexpr uint64_t kReleasePagesEvery = 16384;  // items applied between Store::release_mapped_pages

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
      progress_(std::move(progress)),
      started_at_(options.now()),
      job_prefix_((request_.ref.empty() ? "run-" + std::to_string(started_at_) : request_.ref) + "/"),
      dispatcher_(store, broker, options, job_prefix_ + "export-", summary_,
                  {[this](const std::string& server, bool ok) { on_export_server_done(server, ok); },
                   [this](const std::string& server, uint64_t done, uint64_t total) {
                     if (progress_) progress_(server, "export", done, total);
                   }}) {}

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

void RequestRun::add_error(const std::string& server, const std::string& error) { summary_.add_error(server, error); }

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
      if (!s.writable()) {
        if (named) {
          add_error(s.name, s.name + (s.export_enabled ? ": options.DRY_RUN is on in servers.yaml: nothing is written to it"
                                                       : ": export is disabled in servers.yaml (export.enabled)"));
        }
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
  std::vector<PlannedExport> actions;
  auto drop = [&](const std::string& key) {
    auto batch = store_.begin_write();
    batch.outbox_erase(key);
    (void)batch.commit();
  };
  // servers.yaml may have changed since the action was planned (the process restarted with a
  // new one): what the configuration now forbids is not sent.
  auto forbidden = [&](const std::string& server) -> std::string {
    const ServerConfig* config = servers_.find(server);
    if (config == nullptr) return "the server is no longer in servers.yaml";
    if (!config->writable())
      return config->export_enabled ? "options.DRY_RUN is on in servers.yaml" : "export is disabled in servers.yaml";
    return {};
  };
  std::vector<ExportDispatcher::LeftPlan> left_plans;
  for (const auto& [key, value] : outbox) {
    if (auto left = ExportDispatcher::read_left_plan(value)) {  // the rest of a large plan
      if (std::string why = forbidden(left->server); !why.empty()) {
        spdlog::warn("{}: outbox entry '{}' is dropped, not planned again: {}", left->server, key, why);
        drop(key);
        continue;
      }
      left->options.unplay = left->options.unplay && servers_.find(left->server)->mark_unplayed;
      resumed_.insert(left->server);
      left_plans.push_back(std::move(*left));
      continue;
    }
    PlannedExport action;
    try {
      action = nlohmann::json::parse(value).get<PlannedExport>();
    } catch (const std::exception& e) {
      spdlog::error("outbox entry '{}' is unreadable and is dropped: {}", key, e.what());
      drop(key);
      continue;
    }
    std::string why = forbidden(action.server);
    if (why.empty() && action.kind == PlannedExportKind::unplay && !servers_.find(action.server)->mark_unplayed)
      why = "options.DISABLE_MARK_UNPLAYED is on in servers.yaml";
    if (!why.empty()) {
      spdlog::warn("{}: outbox entry '{}' is dropped, not sent: {}", action.server, key, why);
      drop(key);
      continue;
    }
    if (!action.refused) resumed_.insert(action.server);
    actions.push_back(std::move(action));
  }
  dispatcher_.resume(std::move(actions), false);
  for (auto& left : left_plans) dispatcher_.resume_plan(std::move(left));
  maybe_advance();
}

void RequestRun::start_imports() {
  for (const auto& server : import_servers_) {
    auto& imp = imports_[server];
    imp.previous_sync = store_.last_sync(server, SyncDirection::import);
    choose_import_kind(server, imp);
    if (imp.full) imp.pruning = ImportPruning(server);
    if (!request_.dry_run) {
      auto batch = store_.begin_write();
      batch.unmatched_clear(server);  // this import reports them anew
      if (auto c = batch.commit(); !c) add_error(server, server + ": " + c.error().message);
    }
    imp.outstanding = 1;
    nlohmann::json plan = {{"server", server}, {"kind", "plan"}};
    if (imp.since > 0) {
      plan[protocol::kImportField] = protocol::kImportDelta;
      plan[protocol::kSinceField] = imp.since;
    }
    summary_.servers[server].import_kind = imp.since > 0 ? "delta" : "full";
    summary_.servers[server].since = imp.since;
    submit_fetch(server, std::move(plan));
    if (progress_) progress_(server, "plan", 0, 0);
  }
}

// An export's pull (export -f, a first export) reads whole libraries but does not prune: its
// `--force` overrides the export guard and must not override the pruning guard as well, and the
// export's own 404s drop what it would have written to (rule 8's other half).
void RequestRun::choose_import_kind(const std::string& server, ServerImport& imp) const {
  ImportKindInputs in;
  in.import_command = request_.command == "import";
  in.forced_full = request_.full;
  in.last_import = imp.previous_sync;
  in.last_full = store_.last_sync(server, SyncDirection::full_import);
  in.now = now();
  if (const ServerConfig* s = servers_.find(server)) in.type = s->type;
  const ImportKind kind = ws::choose_import_kind(in, options_.config);
  imp.full = in.import_command && kind.full;
  imp.since = kind.since;
  if (in.import_command) spdlog::debug("{}: {} import: {}", server, kind.full ? "full" : "delta", kind.why);
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
    if (dispatcher_.owns(e.job)) {
      dispatcher_.on_event(e);
    } else if (e.kind == BrokerEvent::Kind::done) {
      if (e.job.body.value("kind", "") == "plan") {
        on_plan_done(e.job, e.body);
      } else {
        on_import_job_finished(e.job, nullptr);
      }
    } else {
      std::string error = e.body.value("error", e.job.last_error);
      if (error.empty()) error = "job " + e.job.id + " failed";
      on_import_job_finished(e.job, &error);
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
      nlohmann::json pages = {{"server", server},
                              {"kind", "pages"},
                              {"library", lib.id},
                              {"library_kind", lib.kind},
                              {"start", start},
                              {"count", std::min(chunk, lib.total - start)},
                              {"page_size", options_.config.page_size}};
      if (const int64_t since = imports_[server].since; since > 0) {
        pages[protocol::kImportField] = protocol::kImportDelta;
        pages[protocol::kSinceField] = since;
      }
      submit_fetch(server, std::move(pages));
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
    if (!e->items_msgpack.empty()) {
      ItemsReadReport report;
      auto read = read_items_msgpack(e->items_msgpack, report);
      if (read) {
        items = std::move(*read);
        for (MediaItem& item : items) item.server = server;  // a batch speaks for its job's server only
      } else {
        spdlog::warn("{}: batch of job {} is unreadable and skipped: {}", server, e->job.id, read.error().message);
      }
      for (const std::string& skipped : report.skipped)
        spdlog::warn("{}: an item of batch {} is unreadable and skipped: {}", server, e->job.id, skipped);
    } else if (auto it = e->body.find("items"); it != e->body.end() && it->is_array()) {
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
    // The rules' clock is the run's: an unmark found in any batch of this run is dated by the
    // run's start, so the end state does not depend on when (in which order) each server's
    // batches were applied. The bookkeeping (updated_at, which push mode orders by) is the
    // clock's.
    opts.now = started_at_;
    opts.changed_at = now();
    opts.mapper = mapper_options(options_.config);
    opts.dry_run = request_.dry_run;
    if (auto& imp = imports_[server]; imp.full) opts.listed_keys = imp.pruning.listed_keys();
    if (spdlog::should_log(spdlog::level::trace)) {
      opts.on_decision = [](const MediaItem& item, const MapResult& r) {
        spdlog::trace("{} {} '{}': {} ({})", item.server, item.item_id, item.title, to_string(r.change), r.reason);
      };
    }
    auto counts = apply_items(write, items, opts);
    if (request_.dry_run && request_.command == "export") dry_run_batches_.push_back({std::move(items), opts});
    auto& s = summary_.servers[server];
    s.fetched += counts.fetched;
    s.matched += counts.matched;
    s.unmatched += counts.unmatched;
    s.created += counts.created;
    s.changed += counts.changed;
    imports_[server].written += counts.written;
    applied_since_release_ += items.size();
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
  // An import looks up nearly every page of the store: they need not all stay in this process's
  // resident memory (peak RSS), the page cache keeps them.
  if (applied_since_release_ >= kReleasePagesEvery) {
    store_.release_mapped_pages();
    applied_since_release_ = 0;
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
    // lastSync moves only when the server's whole import succeeded (DESIGN §4); the full one only
    // after a full import (the next delta's kind depends on it).
    batch.set_last_sync(server, SyncDirection::import, started_at_);
    if (imp.full) batch.set_last_sync(server, SyncDirection::full_import, started_at_);
    batch.set_last_sync(server, SyncDirection::delta_import, imp.full ? 0 : started_at_);
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
  spdlog::info("{}: {} import {}: {} fetched, {} matched, {} new, {} changed, {} unmatched, {} pruned{}; {} records written",
               server, imp.since > 0 ? "delta" : "full", imp.failed ? "failed" : "done", s.fetched, s.matched, s.created, s.changed, s.unmatched, s.pruned,
               prune && !prune->allowed() ? " (the pruning guard refused " + std::to_string(prune->gone.size()) + ")"
                                          : std::string(),
               imp.written);
}

void RequestRun::maybe_advance() {
  if (phase_ == Phase::importing) {
    for (const auto& [server, imp] : imports_)
      if (imp.outstanding > 0) return;
    phase_ = Phase::exporting;
    start_exports();
  }
  if (phase_ == Phase::exporting && !dispatcher_.busy()) phase_ = Phase::finished;
}

void RequestRun::start_exports() {
  if (export_servers_.empty()) return;
  if (dry_run_batches_.empty()) {
    for (const auto& server : export_servers_) export_server(server, store_);
    return;
  }
  // A dry run that pulled libraries plans from what the real run would have applied: the same
  // batches, in one transaction that is never committed.
  auto replay = store_.begin_write();
  for (const auto& kept : dry_run_batches_) {
    ApplyOptions o = kept.options;
    o.on_decision = nullptr;  // said once already
    apply_items(replay, kept.items, o);
  }
  if (const Error* failed = replay.error()) {
    for (const auto& server : export_servers_)
      add_error(server, server + ": the dry run could not apply what it pulled: " + failed->message);
    return;
  }
  for (const auto& server : export_servers_) export_server(server, replay);
  dry_run_batches_.clear();
}  // `replay` aborts here

void RequestRun::export_server(const std::string& server, const RecordSource& source) {
  if (auto it = imports_.find(server); it != imports_.end() && it->second.failed) {
    add_error(server, server + ": export skipped because pulling its library failed");
    return;
  }
  const ServerConfig* config = servers_.find(server);
  if (!config) {
    add_error(server, server + ": no longer in servers.yaml");
    return;
  }
  auto options = dispatcher_.plan_options(*config, request_.full);
  options.keep_actions = ExportDispatcher::kKeptActions;  // the rest is planned again as it goes out
  DispatchMode mode;
  mode.dry_run = request_.dry_run;
  mode.force = request_.force;
  auto plan = plan_export(source, server, options);
  store_.release_mapped_pages();  // the plan read every record
  dispatcher_.dispatch(std::move(plan), mode);
}

void RequestRun::on_export_server_done(const std::string& server, bool ok) {
  // lastSync moves only when the server's whole export succeeded (DESIGN §4), and only for a
  // plan this run made (not a crash's leftovers).
  if (!ok || resumed_.count(server) || request_.dry_run) return;
  auto batch = store_.begin_write();
  batch.set_last_sync(server, SyncDirection::export_, started_at_);
  if (auto c = batch.commit(); !c) add_error(server, server + ": " + c.error().message);
}

}  // namespace ws
