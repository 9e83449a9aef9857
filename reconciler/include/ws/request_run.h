// One control request being carried out: an import phase (fetch jobs, batches applied through
// the mapper), then an export phase (plans, handed to an ExportDispatcher: outbox, export jobs,
// results written back into the records). The reconciler feeds it the broker's events; it owns
// no socket.
//
// A dry run of an export that pulls libraries first (a first export, or -f) plans from the state
// the real run would plan from: it keeps the pulled batches, applies them again at planning time
// in one write transaction, plans inside it, and aborts it (nothing is committed, and the
// store's one write slot is held only within that step).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ws/config.h"
#include "ws/batch_applier.h"
#include "ws/control_request.h"
#include "ws/export_dispatcher.h"
#include "ws/export_plan.h"
#include "ws/import_pruning.h"
#include "ws/job_broker.h"
#include "ws/reconciler_options.h"
#include "ws/run_summary.h"
#include "ws/store.h"

namespace ws {

class RequestRun {
 public:
  // Progress for the requester: server, phase ("plan" | "fetch" | "export"), done, total.
  using ProgressFn = std::function<void(const std::string&, const std::string&, uint64_t, uint64_t)>;

  RequestRun(ControlRequest request, Store& store, JobBroker& broker, const ReconcilerOptions& options,
             const ServersFile& servers, ProgressFn progress);

  // Decides the servers of each phase and submits the first jobs. Errors that concern the whole
  // request (an unknown server name) end it at once with ok() false.
  void start();
  // Every broker event belongs to the running request (one at a time); events of jobs it does
  // not own (an earlier request's) are ignored.
  void on_events(std::vector<BrokerEvent>& events);
  // Whether the job is one of this request's.
  bool owns(const Job& job) const;
  // Ends the request at once with `error` (an internal error while handling it): its queued jobs
  // are cancelled; what is in flight comes back later and is ignored.
  void abort(const std::string& error);
  bool finished() const { return phase_ == Phase::finished; }
  const ControlRequest& request() const { return request_; }
  const RunSummary& summary() const { return summary_; }
  const std::string& error() const { return error_; }

  // A restart's work: the export actions left in the outbox.
  void resume_outbox(const std::vector<std::pair<std::string, std::string>>& outbox);

 private:
  enum class Phase { importing, exporting, finished };
  struct ServerImport {
    int64_t previous_sync = 0;
    int outstanding = 0;
    bool failed = false;
    // A full import: it lists the server's whole libraries, so what it does not list is gone
    // (rule 8). Only those prune; a delta never does.
    bool full = false;
    // > 0: a delta (DESIGN §5 "Incremental import"): only what the server's change filter lists
    // as changed since this time (unix seconds). 0: whole libraries.
    int64_t since = 0;
    ImportPruning pruning;  // the keys a full import listed
    uint64_t written = 0;  // records put (the summary has no column for it)
  };
  // A dry run's pulled batch, kept to be applied again when it plans (see the top).
  struct KeptBatch {
    std::vector<MediaItem> items;
    ApplyOptions options;
  };

  void fail_request(std::string error);
  void start_imports();
  // Full or delta, and since when: see the definition.
  void choose_import_kind(const std::string& server, ServerImport& imp) const;
  void start_exports();
  void submit_fetch(const std::string& server, nlohmann::json body);
  void on_plan_done(const Job& job, const nlohmann::json& result);
  void apply_batches(std::vector<const BrokerEvent*>& batches);
  void on_import_job_finished(const Job& job, const std::string* error);
  void finish_import_server(const std::string& server);
  void export_server(const std::string& server, const RecordSource& source);
  void on_export_server_done(const std::string& server, bool ok);
  void maybe_advance();
  void add_error(const std::string& server, const std::string& error);
  int64_t now() const { return options_.now(); }

  ControlRequest request_;
  Store& store_;
  JobBroker& broker_;
  const ReconcilerOptions& options_;
  const ServersFile& servers_;
  ProgressFn progress_;
  Phase phase_ = Phase::importing;
  int64_t started_at_ = 0;
  RunSummary summary_;
  std::string error_;
  std::vector<std::string> import_servers_;
  std::vector<std::string> export_servers_;
  std::map<std::string, ServerImport> imports_;
  std::set<std::string> resumed_;  // servers resuming a crash's outbox: no plan vouches for their lastSync
  std::vector<KeptBatch> dry_run_batches_;  // a dry-run export's pulled batches
  uint64_t next_job_ = 0;
  uint64_t applied_since_release_ = 0;  // items applied since the store's mapped pages were let go
  std::string job_prefix_;
  ExportDispatcher dispatcher_;  // last: built from the members above
};

}  // namespace ws
