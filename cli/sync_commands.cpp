#include "ws/sync_commands.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/control_client.h"
#include "ws/embedded_stack.h"
#include "ws/media_item.h"
#include "ws/progress_display.h"
#include "ws/run_summary.h"
#include "ws/termination.h"

namespace ws {
namespace {

// How long a reconciler has to answer before the CLI runs the pipeline itself.
constexpr auto kProbeTimeout = std::chrono::milliseconds(700);

struct SyncOptions {
  std::vector<std::string> servers;
  bool full = false;
  bool dry_run = false;
  bool force = false;
  bool memory = false;
  int fetchers = 0;  // embedded mode; 0: default_embedded_fetchers()
};

void print_plan(std::ostream& out, const RunSummary& summary) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> notes;
  bool refused = false;
  for (const auto& a : summary.plan) {
    const auto& item = a.value("item", nlohmann::json::object());
    std::string title = item.value("title", "");
    if (item.value("type", "") == "episode") {
      if (const std::string label = episode_label(item.value("season", -1), item.value("episode", -1)); !label.empty())
        title += " " + label;
    }
    std::string action = a.value("action", "");
    if (action == "mixed") notes.push_back(a.value("note", ""));
    if (a.value("refused", false)) {
      action += " (refused)";
      refused = true;
    }
    rows.push_back({a.value("server", ""), action, title, item.value("item_id", ""),
                    a.value("action", "") == "play" ? format_time(a.value("played_at", int64_t{0})) : "-"});
  }
  if (rows.empty()) {
    out << "dry run: nothing to export\n";
    return;
  }
  out << "dry run: these writes would be made\n";
  print_table(out, {"server", "action", "item", "item id", "played at"}, rows);
  for (const auto& note : notes) out << "mixed: " << note << "\n";
  if (refused) out << "refused: the export guard refuses these (see below); --force would write them\n";
}

// The servers a run pulls: the named ones, else every server enabled for the command (an export
// pulls only on a first or full export, but may: counted all the same). At least 1.
size_t servers_to_pull(const CliContext& ctx, const std::string& command, const std::vector<std::string>& named) {
  if (!named.empty()) return named.size();
  auto servers = ctx.servers();
  if (!servers) return 1;  // the run reports the error itself
  size_t n = 0;
  for (const auto& s : servers->servers) n += command == "import" ? s.import_enabled : s.export_enabled;
  return std::max<size_t>(n, 1);
}

int run_sync(CliContext& ctx, const std::string& command, const SyncOptions& opts, bool require_running) {
  auto config = ctx.config();
  if (!config) return ctx.fail(config.error());
  ControlRequest request;
  request.command = command;
  request.servers = opts.servers;
  request.full = opts.full;
  request.dry_run = opts.dry_run;
  request.force = opts.force;

  // A control endpoint off loopback is a reconciler elsewhere: without the keys to reach it,
  // running embedded here would be the wrong answer.
  auto curve = control_curve_keys(ctx.paths, config->config.endpoints.control);
  if (!curve) return ctx.fail(curve.error());
  zmq::context_t probe_context;
  const size_t max_message = config->config.endpoints.max_message;
  auto client = std::make_unique<ControlClient>(probe_context, config->config.endpoints.control, max_message, *curve);
  std::unique_ptr<EmbeddedStack> stack;
  if (!client->answers(kProbeTimeout)) {
    if (require_running)
      return ctx.fail("no reconciler answers at " + config->config.endpoints.control +
                      ": start one (watchstate serve, or ws-reconciler with fetchers and exporters)");
    EmbeddedStackOptions so;
    so.paths = ctx.paths;
    so.config = config->config;
    so.fetchers = opts.fetchers > 0 ? opts.fetchers
                                    : default_embedded_fetchers(servers_to_pull(ctx, command, opts.servers),
                                                                std::thread::hardware_concurrency());
    auto started = EmbeddedStack::start(so);
    if (!started) return ctx.fail(started.error());
    stack = std::move(started.value());
    auto own_curve = control_curve_keys(ctx.paths, stack->control_endpoint());
    if (!own_curve) return ctx.fail(own_curve.error());
    client = std::make_unique<ControlClient>(stack->context(), stack->control_endpoint(), max_message, *own_curve);
    spdlog::info("running {} embedded (no reconciler answered at {})", command, config->config.endpoints.control);
  } else {
    spdlog::info("enqueued {} at the reconciler on {}", command, client->endpoint());
  }

  ProgressDisplay display(*ctx.err, isatty(STDERR_FILENO) == 1 && !ctx.json(), opts.memory);
  std::string waiting;  // what the request waits for, said once each time it changes
  auto reply = client->run(request, [&](const nlohmann::json& p) {
    const std::string now_waiting = p.value("waiting", "");  // a string or absent: ControlClient checked
    if (!now_waiting.empty() && now_waiting != waiting) {
      display.finish();
      *ctx.err << "watchstate: " << now_waiting << "\n" << std::flush;
    }
    waiting = now_waiting;
    display.update(p);
  });
  display.finish();
  client.reset();  // its socket belongs to the stack's context: close it first
  stack.reset();   // stops the embedded threads before printing
  if (!reply) return ctx.fail(reply.error());

  RunSummary summary;
  try {
    reply->at("summary").get_to(summary);
  } catch (const std::exception&) {
    // A refused request carries no summary; its error says why.
  }
  const bool ok = reply->value("ok", false);
  if (ctx.json()) {
    print_json(*ctx.out, *reply);
  } else {
    if (opts.dry_run && command == "export") print_plan(*ctx.out, summary);
    print_summary(*ctx.out, summary, command == "import" || opts.full, command == "export");
    if (opts.memory) *ctx.out << "peak memory: " << format_mib(peak_resident_mib()) << "\n";
  }
  if (!ok) {
    std::string error = reply->value("error", "");
    return ctx.fail(error.empty() ? command + " finished with errors (see above)" : error);
  }
  return kExitOk;
}

int run_serve(CliContext& ctx) {
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::string failure;  // a component that stopped by an internal error: serve stops too
  TerminationWatcher watcher([&] {
    std::lock_guard lock(mu);
    stopping = true;
    cv.notify_all();
  });
  auto config = ctx.config();
  if (!config) return ctx.fail(config.error());
  EmbeddedStackOptions so;
  so.paths = ctx.paths;
  so.config = config->config;
  so.use_config_endpoints = true;
  so.on_failure = [&](const std::string& error) {
    std::lock_guard lock(mu);
    if (failure.empty()) failure = error;
    cv.notify_all();
  };
  so.ingest = true;
  auto stack = EmbeddedStack::start(so);
  if (!stack) return ctx.fail(stack.error());
  *ctx.err << "watchstate: serving (control " << stack.value()->control_endpoint() << ", workers "
           << stack.value()->workers_endpoint() << ", webhooks " << stack.value()->webhook_url()
           << "); Ctrl-C stops\n";
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return stopping || !failure.empty(); });
  }
  *ctx.err << "watchstate: stopping\n";
  stack.value().reset();  // joins every thread: `failure` is final after this
  if (!failure.empty()) return ctx.fail(failure);
  return kExitOk;
}

void add_common(CLI::App* cmd, SyncOptions& o) {
  cmd->add_option("-s,--server", o.servers, "Only this server (repeatable); default: every enabled server");
  cmd->add_flag("-m,--memory", o.memory, "Show this process's memory use as the work goes");
}

}  // namespace

void register_sync_commands(CLI::App& app, CliContext& ctx) {
  auto* import = add_command(app, "state:import", "Import watch state from the servers into the local state");
  auto io = std::make_shared<SyncOptions>();
  add_common(import, *io);
  auto* import_full = import->add_flag(
      "-f,--full", io->full,
      "Pull whole libraries, not only what changed since the last import, and forget what a server no longer lists "
      "(without it: a full import at a server's first import, every import.full_every, and always on Jellyfin "
      "unless import.jellyfin_delta)");
  import->add_flag("--dry-run", io->dry_run, "Show what would change; change nothing");
  import->add_flag("--force", io->force,
                   "Prune even when a server no longer lists more of its items than the pruning guard allows "
                   "(import.prune_guard)")
      ->needs(import_full);
  import->add_option("--fetchers", io->fetchers,
                     "Fetcher threads in embedded mode (default: one per server to import, side by side, at most "
                     "the number of cores or 2)")
      ->check(CLI::Range(1, 16));
  import->callback([&ctx, io] { ctx.action = [&ctx, io] { return run_sync(ctx, "import", *io, false); }; });

  auto* exp = add_command(app, "state:export", "Export the local state to the servers that differ");
  auto eo = std::make_shared<SyncOptions>();
  add_common(exp, *eo);
  exp->add_flag("-f,--full", eo->full, "Pull each server's library and compare every item (default: changes since the last export)");
  exp->add_flag("--dry-run", eo->dry_run, "Print the planned writes; write nothing");
  exp->add_flag("--force", eo->force, "Export even when the plan would unmark more than the export guard allows");
  exp->callback([&ctx, eo] { ctx.action = [&ctx, eo] { return run_sync(ctx, "export", *eo, false); }; });

  auto* enqueue = add_command(app, "enqueue", "Ask a running reconciler to import or export, and follow it");
  auto what = std::make_shared<std::string>();
  auto qo = std::make_shared<SyncOptions>();
  enqueue->add_option("WHAT", *what, "import or export")->required()->check(CLI::IsMember({"import", "export"}));
  add_common(enqueue, *qo);
  enqueue->add_flag("-f,--full", qo->full, "As state:import/state:export -f");
  enqueue->add_flag("--force", qo->force, "As state:export --force, or state:import -f --force");
  enqueue->callback([&ctx, what, qo] {
    ctx.action = [&ctx, what, qo] {
      if (*what == "import" && qo->force && !qo->full) return ctx.usage("enqueue import --force needs -f (a full import)");
      return run_sync(ctx, *what, *qo, true);
    };
  });

  auto* serve = add_command(app, "serve", "Run the whole stack (reconciler, fetcher, exporter, ingest) in this process until Ctrl-C");
  serve->callback([&ctx] { ctx.action = [&ctx] { return run_serve(ctx); }; });
}

}  // namespace ws
