#include "ws/servers_test_command.h"

#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ws/backend_client.h"
#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/redact.h"

namespace ws {
namespace {

struct Options {
  std::string name;
};

struct Outcome {
  nlohmann::json report;  // for --output json
  bool ok = false;
  bool uuid_changed = false;
  std::string new_uuid;
  bool owner_changed = false;
  std::string new_owner_id;
};

// Where plex_owner_account() asks plex.tv: WS_PLEX_TV_URL when set (tests point it at a fake;
// an empty value never asks), else plex.tv itself.
std::string plex_tv_url() {
  const char* env = std::getenv("WS_PLEX_TV_URL");
  return env ? std::string(env) : BackendOptions{}.plex_tv_url;
}

// Plex: records the owner's account id, which webhooks name (DESIGN §8). Never fails the test:
// a server that does not list its accounts still syncs; only its webhooks are limited to account 1.
void test_plex_owner(const CliContext& ctx, const ServerConfig& server, const BackendOptions& options,
                     Outcome& outcome) {
  BackendOptions owner_options = options;
  owner_options.plex_tv_url = plex_tv_url();
  auto owner = plex_owner_account(server, owner_options);
  if (!owner) {
    outcome.report["owner"] = {{"error", owner.error().message}};
    ctx.warn(server.name + ": the owner's account could not be read (" + owner.error().message +
             "); webhooks are accepted only for local account 1");
    return;
  }
  outcome.report["owner"] = {{"local_id", owner->local_id}, {"name", owner->name}, {"plextv_id", owner->plextv_id}};
  if (!ctx.json()) {
    *ctx.out << "  owner:     " << (owner->name.empty() ? "-" : owner->name) << " (account " << owner->local_id;
    if (!owner->plextv_id.empty()) *ctx.out << ", plex.tv account " << owner->plextv_id;
    *ctx.out << ")\n";
  }
  if (owner->plextv_id.empty() && !owner_options.plex_tv_url.empty()) {
    outcome.report["owner"]["plextv_error"] = owner->plextv_error;
    ctx.warn(server.name + ": plex.tv did not say the owner's account id (" + owner->plextv_error +
             "); current Plex versions name the owner by it in webhooks, so until servers:test reaches "
             "plex.tv only webhooks naming account " + owner->local_id + " or 1 are taken as the owner's");
  }
  const std::string id = owner->webhook_id();
  if (id != server.owner_id) {
    outcome.owner_changed = true;
    outcome.new_owner_id = id;
  }
}

// Tests one server; prints its text report as it goes (a slow server shows progress).
Outcome test_server(const CliContext& ctx, const ServerConfig& server) {
  Outcome outcome;
  outcome.report = {{"name", server.name}, {"type", to_string(server.type)}, {"url", redact_url(server.url)}};
  BackendOptions options;
  options.retry.max_attempts = 2;  // a person is waiting: fail fast
  auto client = make_backend_client(server, options);
  if (!ctx.json()) *ctx.out << server.name << " (" << to_string(server.type) << ", " << redact_url(server.url) << ")\n";

  auto identity = client->identity();
  if (!identity) {
    outcome.report["ok"] = false;
    outcome.report["error"] = identity.error().message;
    if (!ctx.json()) *ctx.out << "  FAILED: " << identity.error().message << "\n";
    return outcome;
  }
  outcome.report["server"] = {{"id", identity->id}, {"name", identity->name}, {"version", identity->version}};
  if (!ctx.json()) {
    *ctx.out << "  server:    " << (identity->name.empty() ? "-" : identity->name) << ", id " << identity->id
             << ", version " << (identity->version.empty() ? "-" : identity->version) << "\n";
    *ctx.out << "  token:     ok\n";
  }
  if (server.type != ServerType::plex) {
    outcome.report["user"] = {{"id", identity->user_id}, {"name", identity->user_name}};
    if (!ctx.json()) *ctx.out << "  user:      " << identity->user_name << " (" << identity->user_id << ")\n";
  }

  auto libraries = client->libraries();
  if (!libraries) {
    outcome.report["ok"] = false;
    outcome.report["error"] = libraries.error().message;
    if (!ctx.json()) *ctx.out << "  FAILED: " << libraries.error().message << "\n";
    return outcome;
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& library : *libraries) {
    list.push_back({{"id", library.id},
                    {"title", library.title},
                    {"kind", library.kind == MediaType::movie ? "movies" : "shows"},
                    {"ignored", library.ignored}});
    if (!ctx.json())
      *ctx.out << "  library:   " << library.title << " (id " << library.id << ", "
               << (library.kind == MediaType::movie ? "movies" : "shows") << (library.ignored ? ", ignored" : "") << ")\n";
  }
  if (libraries->empty() && !ctx.json()) *ctx.out << "  library:   none with movies or shows\n";
  outcome.report["libraries"] = std::move(list);
  if (server.type == ServerType::plex) test_plex_owner(ctx, server, options, outcome);
  outcome.ok = true;
  outcome.report["ok"] = true;
  if (server.uuid != identity->id) {
    if (!server.uuid.empty())
      ctx.warn(server.name + ": the server's id changed from " + server.uuid + " to " + identity->id +
               " (a reinstalled server, or a different one at this url)");
    outcome.uuid_changed = true;
    outcome.new_uuid = identity->id;
  }
  outcome.report["uuid_recorded"] = outcome.uuid_changed;
  return outcome;
}

int run_test(const CliContext& ctx, const Options& options) {
  auto file = ctx.servers();
  if (!file) return ctx.fail(file.error());
  std::vector<size_t> selected;
  for (size_t i = 0; i < file->servers.size(); ++i)
    if (options.name.empty() || file->servers[i].name == options.name) selected.push_back(i);
  if (selected.empty()) {
    if (options.name.empty())
      return ctx.fail("no servers in " + ctx.paths.servers_file().string() +
                      "; run `watchstate config:dump servers` for an example");
    std::string names;
    for (const auto& s : file->servers) names += (names.empty() ? "" : ", ") + s.name;
    return ctx.usage("no server named '" + options.name + "' in " + ctx.paths.servers_file().string() +
                     (names.empty() ? "" : " (servers: " + names + ")"));
  }

  bool all_ok = true;
  bool changed = false;
  nlohmann::json reports = nlohmann::json::array();
  for (size_t index : selected) {
    Outcome outcome = test_server(ctx, file->servers[index]);
    all_ok = all_ok && outcome.ok;
    if (outcome.uuid_changed) {
      file->servers[index].uuid = outcome.new_uuid;
      changed = true;
    }
    if (outcome.owner_changed) {
      file->servers[index].owner_id = outcome.new_owner_id;
      changed = true;
    }
    reports.push_back(std::move(outcome.report));
  }
  if (changed) {
    if (auto saved = save_servers(ctx.paths.servers_file(), *file); !saved) return ctx.fail(saved.error());
    if (!ctx.json())
      *ctx.out << "recorded the servers' ids (uuid, owner_id) in " << ctx.paths.servers_file().string() << "\n";
  }
  if (ctx.json()) print_json(*ctx.out, reports);
  return all_ok ? kExitOk : kExitFailure;
}

}  // namespace

void register_servers_test_command(CLI::App& app, CliContext& ctx) {
  auto options = std::make_shared<Options>();
  auto* cmd = add_command(app, "servers:test",
                          "Check each server's url, token and user, list its libraries, and record its id (uuid)");
  cmd->add_option("name", options->name, "test only this server (its name in servers.yaml)");
  cmd->callback([&ctx, options] { ctx.action = [&ctx, options] { return run_test(ctx, *options); }; });
}

}  // namespace ws
