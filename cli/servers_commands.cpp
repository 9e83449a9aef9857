// servers:list. (servers:test comes with the backend clients.)
#include "ws/servers_commands.h"

#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/redact.h"

namespace ws {
namespace {

const char* yes_no(bool value) { return value ? "yes" : "no"; }

int run_list(const CliContext& ctx) {
  auto file = ctx.servers();
  if (!file) return ctx.fail(file.error());
  if (ctx.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : file->servers) {
      list.push_back({{"name", s.name},
                      {"type", to_string(s.type)},
                      {"url", redact_url(s.url)},
                      {"uuid", s.uuid},
                      {"user", s.user},
                      {"import", {{"enabled", s.import_enabled}, {"lastSync", s.import_last_sync}}},
                      {"export", {{"enabled", s.export_enabled}, {"lastSync", s.export_last_sync}}},
                      {"dry_run", s.dry_run},
                      {"ignore", s.ignored_libraries}});
    }
    print_json(*ctx.out, list);
    return kExitOk;
  }
  if (file->servers.empty()) {
    *ctx.out << "no servers in " << ctx.paths.servers_file().string()
             << "; run `watchstate config:dump servers` for an example\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : file->servers) {
    rows.push_back({s.name, std::string(to_string(s.type)), redact_url(s.url), s.uuid.empty() ? "-" : s.uuid,
                    s.user.empty() ? "-" : s.user, yes_no(s.import_enabled),
                    s.export_enabled && s.dry_run ? "no (DRY_RUN)" : yes_no(s.export_enabled)});
  }
  print_table(*ctx.out, {"NAME", "TYPE", "URL", "UUID", "USER", "IMPORT", "EXPORT"}, rows);
  return kExitOk;
}

}  // namespace

void register_servers_commands(CLI::App& app, CliContext& ctx) {
  auto* list = add_command(app, "servers:list", "List the servers in servers.yaml");
  list->callback([&ctx] { ctx.action = [&ctx] { return run_list(ctx); }; });
}

}  // namespace ws
