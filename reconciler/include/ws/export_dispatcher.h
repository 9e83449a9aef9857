// Export dispatch (DESIGN §3 "Job broker", §5 "Export" and "After a write"): from a plan to the
// servers and back. It decides the export guard, persists the plan's actions in the outbox before
// any write, hands them to exporters as job.export jobs, and writes what the exporters report into
// the records: each server's state read back after its writes (never merely what was sent), items
// the server no longer has (rule 8: `gone`), writes the server ignored (retried up to
// export.max_ignored, then no longer planned), unplays left alone because the item was played
// there again (rule 9: `skipped`), and the unmarks written (the guard's window).
//
// Two users, each owning a dispatcher whose job ids start with its own prefix (so it routes its
// broker events here by owns()):
// - a RequestRun (`state:export`): plans every server, dispatch() each plan, and on each
//   server's end (Callbacks::on_server_done) moves that server's export lastSync;
// - the real-time push path (issue 9: a webhook changed the state): push() plans the changed
//   records for each other export-enabled server and sends them at once, no control request.
//   A push the guard refuses stays in the outbox marked refused (db:stats counts them) until
//   `state:export --force` sends it.
//
// Threads: the reconciler's loop thread only (it drives the broker and owns the store).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ws/export_plan.h"
#include "ws/job_broker.h"
#include "ws/reconciler_options.h"
#include "ws/run_summary.h"
#include "ws/store.h"

namespace ws {

struct DispatchMode {
  bool dry_run = false;  // list the plan in the summary, send and store nothing
  bool force = false;    // --force: a tripped guard lets the plan through; refused pushes go too
};

class ExportDispatcher {
 public:
  struct Callbacks {
    // Every job of one dispatch of `server` was answered (or there was nothing to send); `ok`
    // false when a write failed. Not called for a dry run nor for a refused plan.
    std::function<void(const std::string& server, bool ok)> on_server_done;
    // Actions answered so far of those dispatched to `server`.
    std::function<void(const std::string& server, uint64_t answered, uint64_t planned)> on_progress;
  };

  // `summary` receives the per-server counts and errors (and the plan listing); it and the
  // other references must outlive the dispatcher. `job_prefix` makes this dispatcher's job ids.
  ExportDispatcher(Store& store, JobBroker& broker, const ReconcilerOptions& options, std::string job_prefix,
                   RunSummary& summary, Callbacks callbacks);

  // The plan options for `server` from the configuration and the store: push mode from its export
  // lastSync (full mode when `full` or never exported), given-up writes retried when `full`, the
  // unmarks already written within the guard's window, no unplays when its servers.yaml entry
  // says so (options.DISABLE_MARK_UNPLAYED).
  ExportPlanOptions plan_options(const ServerConfig& server, bool full) const;

  // Sends `plan` for its server. The guard decides first (mode.force lets a tripped plan through,
  // noted in the summary); a refused plan sends nothing (summary `refused`). A dry run lists the
  // plan (refused actions marked) and stops there. Otherwise: the outbox, then the jobs; with
  // mode.force also the server's refused pushes waiting in the outbox.
  void dispatch(ExportPlan plan, const DispatchMode& mode);

  // The push path: plans `record_ids` for `server` (plan_records) and sends the plan at once, as
  // dispatch() does, except that a plan the guard refuses goes into the outbox marked refused.
  void push(const ServerConfig& server, const std::vector<uint64_t>& record_ids, const DispatchMode& mode);

  // Sends actions already in the outbox (a restart's leftovers); refused ones stay unless
  // `force`.
  void resume(std::vector<PlannedExport> actions, bool force);

  bool owns(const Job& job) const { return job.id.rfind(job_prefix_, 0) == 0; }
  // A job.export of this dispatcher was answered: done (the results go into the records) or
  // failed after its attempts (its actions are recorded failed).
  void on_event(const BrokerEvent& event);
  // Jobs of this dispatcher are still out (for any server / for `server`).
  bool busy() const;
  bool busy(const std::string& server) const;

 private:
  struct ServerExport {
    int outstanding = 0;
    bool failed = false;
  };

  void list_plan(const ExportPlan& plan, bool refused);
  void send(const std::string& server, std::vector<PlannedExport> actions);
  void submit_jobs(const std::string& server, const std::vector<PlannedExport>& actions);
  void on_done(const Job& job, const nlohmann::json& result);
  void on_failed(const Job& job, const std::string& error);
  void job_finished(const std::string& server);
  std::vector<PlannedExport> refused_in_outbox(const std::string& server) const;
  void add_error(const std::string& server, const std::string& error);
  int64_t now() const { return options_.now(); }

  Store& store_;
  JobBroker& broker_;
  const ReconcilerOptions& options_;
  std::string job_prefix_;
  RunSummary& summary_;
  Callbacks callbacks_;
  std::map<std::string, ServerExport> servers_;
  std::map<std::string, PlannedExport> in_flight_;  // outbox key -> action
  std::map<std::string, int> retries_;              // outbox key -> answers that left it out
  uint64_t next_job_ = 0;
};

}  // namespace ws
