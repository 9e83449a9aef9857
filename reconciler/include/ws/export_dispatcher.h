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
#include <deque>
#include <functional>
#include <map>
#include <optional>
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
  // At most kWindowJobs jobs of a server are out at once, so memory holds a window, not the
  // plan. A plan that kept only some of its actions (ExportPlanOptions::keep_actions,
  // ExportPlan::complete()) is planned again from its sources a window at a time (plan_again):
  // its counts are those of the first planning, corrected at its end by what the chunks planned.
  // Such a plan's rest waits in the outbox as one entry (`<server>/plan`: its sources not yet
  // planned again and its options), written in the transaction that persists each window's
  // actions: a restart resumes both (resume, resume_plan), each action once.
  void dispatch(ExportPlan plan, const DispatchMode& mode);
  static constexpr int kWindowJobs = 20;
  // What a RequestRun keeps of a plan (ExportPlanOptions::keep_actions): enough for the summary's
  // listing and for one window.
  static constexpr size_t kKeptActions = 1000;

  // The push path: plans `record_ids` for `server` (plan_records) and sends the plan at once, as
  // dispatch() does, except that a plan the guard refuses goes into the outbox marked refused.
  void push(const ServerConfig& server, const std::vector<uint64_t>& record_ids, const DispatchMode& mode);

  // Sends actions already in the outbox (a restart's leftovers); refused ones stay unless
  // `force`.
  void resume(std::vector<PlannedExport> actions, bool force);

  // The rest of a plan a stopped run left in the outbox (its `<server>/plan` entry): planned again
  // from its records and sent, after what resume() sends for the server.
  struct LeftPlan {
    std::string server;
    std::vector<uint64_t> sources;
    ExportPlanOptions options;
  };
  // The entry's value read as a LeftPlan; nullopt when it is not one (a PlannedExport).
  static std::optional<LeftPlan> read_left_plan(std::string_view value);
  void resume_plan(LeftPlan left);

  bool owns(const Job& job) const { return job.id.rfind(job_prefix_, 0) == 0; }
  // A job.export of this dispatcher was answered: done (the results go into the records) or
  // failed after its attempts (its actions are recorded failed).
  void on_event(const BrokerEvent& event);
  // Jobs of this dispatcher are still out (for any server / for `server`).
  bool busy() const;
  bool busy(const std::string& server) const;

 private:
  // A plan too large to keep: its records, planned again a chunk at a time.
  struct Replan {
    std::vector<uint64_t> sources;
    size_t next = 0;
    ExportPlanOptions options;
    uint64_t counted = 0;   // actions the first planning counted (in the summary's `planned`)
    uint64_t produced = 0;  // actions the chunks planned so far
  };
  struct ServerExport {
    int outstanding = 0;
    bool failed = false;
    // Not sent yet, in this order: actions in hand, a plan to plan again, then the refused pushes
    // --force sends (by key: an action of the plan with the same key replaces one).
    std::deque<PlannedExport> ready;
    std::optional<Replan> replan;
    std::map<std::string, PlannedExport> refused;
    bool left_in_outbox = false;  // the outbox holds `<server>/plan` for `replan` (or a finished one)
    bool refused_unsaved = false;  // `refused` are still marked refused in the outbox
    bool pending() const { return !ready.empty() || replan || !refused.empty(); }
  };

  void list_plan(const ExportPlan& plan, bool refused);
  // Sends the server's next actions while fewer than kWindowJobs / 2 of its jobs are out, up to
  // kWindowJobs. False when persisting them failed (the rest is dropped, the server failed).
  bool top_up(const std::string& server);
  // The first top_up of a dispatch; reports the server done at once when nothing went out.
  void start_sending(const std::string& server);
  std::vector<PlannedExport> next_actions(const std::string& server, size_t most);
  // Persists `actions` and the server's plan left (or its end), then hands them to the broker.
  bool send(const std::string& server, const std::vector<PlannedExport>& actions);
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
