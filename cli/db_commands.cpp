// db:stats: what the state holds, how big it is, when each server last synced, and what waits in
// ingest's spool.
#include "ws/db_commands.h"

#include <algorithm>
#include <chrono>
#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/control_client.h"
#include "ws/spool.h"
#include "ws/state_access.h"

namespace ws {
namespace {

// How long a reconciler has to answer before db:stats goes on without its view.
constexpr auto kProbeTimeout = std::chrono::milliseconds(700);

// The store's health as the running reconciler sees it ({"ok", "error"?}, docs/protocol.md): a
// failed commit lives in the writer's memory, not on disk. {"ok": true} with no reconciler.
nlohmann::json reconciler_store_health(const CliContext& ctx, const Result<ConfigFile>& config) {
  nlohmann::json health = {{"ok", true}, {"reconciler", false}};
  if (!config) return health;  // already warned about by servers() / config()
  const std::string& endpoint = config->config.endpoints.control;
  if (tcp_endpoint_refused(endpoint)) return health;
  auto curve = control_curve_keys(ctx.paths, endpoint);
  if (!curve) {
    ctx.warn("cannot ask the reconciler about its store: " + curve.error().message);
    return health;
  }
  zmq::context_t context;  // before the client: outlives its socket
  ControlClient client(context, endpoint, protocol::kDefaultMaxMessage, *curve);
  ControlRequest status;
  status.command = "status";
  auto reply = client.run(status, nullptr, kProbeTimeout);
  if (!reply) return health;
  health["reconciler"] = true;
  const auto summary = reply->value("summary", nlohmann::json::object());
  if (auto store = summary.find("store"); store != summary.end() && store->is_object()) {
    health["ok"] = store->value("ok", true);
    if (auto error = store->find("error"); error != store->end() && error->is_string()) health["error"] = *error;
  }
  return health;
}

// Outbox entries the export guard refused (pushes waiting for `state:export --force`).
uint64_t refused_in_outbox(const Store& store) {
  uint64_t refused = 0;
  for (const auto& [key, value] : store.outbox()) {
    auto j = nlohmann::json::parse(value, nullptr, false);
    if (j.is_object() && j.value("refused", false)) ++refused;
  }
  return refused;
}

// Ingest's spool, read-only ({pending, failed, oldest_pending_at, file_bytes}); null when there
// is none (no ingest ran here).
nlohmann::json spool_json(const CliContext& ctx) {
  auto spool = read_spool_stats(ctx.paths.spool_dir());
  if (!spool) {
    if (spool.error().kind != ErrorKind::not_found) ctx.warn(spool.error().message);
    return nullptr;
  }
  return {{"pending", spool->pending},
          {"failed", spool->failed},
          {"oldest_pending_at", spool->oldest_pending_at},
          {"file_bytes", spool->file_bytes}};
}

int run_stats(const CliContext& ctx) {
  auto store = open_state_read_only(ctx);
  if (!store) return ctx.fail(store.error());
  StoreStats stats;
  uint64_t refused = 0;
  auto config = ctx.config();
  const int max_ignored = config ? config->config.export_max_ignored : AppConfig{}.export_max_ignored;
  if (*store) {
    stats = (*store)->stats(max_ignored);
    refused = refused_in_outbox(**store);
  } else {
    ctx.warn(kNoStateYet);
  }
  // Servers: the configured ones, plus any the state still has metadata of.
  std::vector<std::string> names;
  if (auto servers = ctx.servers()) {
    for (const auto& s : servers->servers) names.push_back(s.name);
  } else {
    ctx.warn(servers.error().message);
  }
  for (const auto& [name, count] : stats.per_server) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  auto count_of = [&](const std::string& name) {
    auto it = stats.per_server.find(name);
    return it == stats.per_server.end() ? uint64_t(0) : it->second;
  };
  auto sync_of = [&](const std::string& name, SyncDirection d) { return *store ? (*store)->last_sync(name, d) : 0; };
  auto last_import_kind = [&](const std::string& name) -> std::string {
    return *store ? std::string((*store)->last_import_kind(name)) : std::string();
  };
  auto ignored_of = [&](const std::string& name) {
    auto it = stats.ignored_writes.find(name);
    return it == stats.ignored_writes.end() ? IgnoredWrites{} : it->second;
  };
  const nlohmann::json health = reconciler_store_health(ctx, config);
  const nlohmann::json spool = spool_json(ctx);

  if (ctx.json()) {
    nlohmann::json servers = nlohmann::json::object();
    for (const auto& name : names) {
      servers[name] = {{"records", count_of(name)},
                       {"import_last_sync", sync_of(name, SyncDirection::import)},
                       {"full_import_last_sync", sync_of(name, SyncDirection::full_import)},
                       {"last_import_kind", last_import_kind(name)},
                       {"export_last_sync", sync_of(name, SyncDirection::export_)},
                       {"ignored_writes", ignored_of(name).items},
                       {"writes_given_up", ignored_of(name).given_up}};
    }
    print_json(*ctx.out, {{"exists", static_cast<bool>(*store)},
                          {"records", stats.records},
                          {"movies", stats.movies},
                          {"episodes", stats.episodes},
                          {"watched", stats.watched},
                          {"pointers", stats.pointers},
                          {"outbox", stats.outbox},
                          {"outbox_refused", refused},
                          {"file_bytes", stats.file_bytes},
                          {"store", health},
                          {"spool", spool},
                          {"servers", servers}});
    return kExitOk;
  }
  auto& out = *ctx.out;
  out << "records:   " << stats.records << " (" << stats.movies << " movies, " << stats.episodes << " episodes)\n"
      << "watched:   " << stats.watched << "\n"
      << "pointers:  " << stats.pointers << "\n"
      << "outbox:    " << stats.outbox << " pending export jobs"
      << (refused > 0 ? " (" + std::to_string(refused) +
                            " refused by the export guard: state:export --force sends them)"
                      : std::string())
      << "\n"
      << "db size:   " << stats.file_bytes / 1024 << " KiB (" << ctx.paths.db_dir().string() << ")\n";
  if (!health.value("ok", true)) {
    out << "store:     FAILED: " << health.value("error", "") << "\n"
        << "           the reconciler refuses writes; it re-opens the state at its next request, with "
           "store.map_size re-read from config.yaml\n";
  }
  if (!spool.is_null()) {
    out << "spool:     " << spool["pending"].get<uint64_t>() << " webhook events waiting for the reconciler, "
        << spool["failed"].get<uint64_t>() << " failed (" << ctx.paths.spool_dir().string() << ")\n";
  }
  if (names.empty()) return kExitOk;
  std::vector<std::vector<std::string>> rows;
  for (const auto& name : names) {
    const std::string kind = last_import_kind(name);
    rows.push_back({name, std::to_string(count_of(name)),
                    format_time(sync_of(name, SyncDirection::import)) + (kind.empty() ? "" : " (" + kind + ")"),
                    format_time(sync_of(name, SyncDirection::full_import)),
                    format_time(sync_of(name, SyncDirection::export_))});
  }
  out << "\n";
  print_table(out, {"SERVER", "RECORDS", "LAST IMPORT (UTC)", "LAST FULL IMPORT", "LAST EXPORT (UTC)"}, rows);
  for (const auto& name : names) {
    const auto ignored = ignored_of(name);
    if (ignored.items == 0) continue;
    out << name << ": " << ignored.items << " written items the server did not keep (read back after the export), "
        << ignored.given_up << " no longer planned after " << max_ignored
        << " tries (state:unmatched lists them; state:export -f tries again)\n";
  }
  return kExitOk;
}

}  // namespace

void register_db_commands(CLI::App& app, CliContext& ctx) {
  auto* stats = add_command(app, "db:stats", "Record counts, per-server counts, DB size, last syncs");
  stats->callback([&ctx] { ctx.action = [&ctx] { return run_stats(ctx); }; });
}

}  // namespace ws
