#include "ws/transfer_commands.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ws/backup_format.h"
#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/export_plan.h"
#include "ws/record.h"
#include "ws/state_access.h"
#include "ws/store_replacement.h"

namespace ws {
namespace {

// Items whose writes a server kept ignoring (ServerMeta::writes_given_up): no longer planned, so
// reported here, beside the items nothing matched (DESIGN §5 "After a write").
void for_each_given_up(const Store& store, const std::string& server, int max_ignored,
                       const std::function<void(const std::string&, const std::string&, const MediaItem&)>& visit) {
  store.for_each([&](const Record& r) {
    for (const auto& [name, m] : r.metadata) {
      if ((!server.empty() && name != server) || !m.writes_given_up(max_ignored)) continue;
      const MediaItem item = server_view(r, name, m);
      const char* kept = m.watched ? "played" : "unplayed";
      const char* wrote = m.watched ? "unplayed" : "played";
      visit(name,
            name + ": answered " + std::to_string(m.ignored_writes) + " writes of '" + wrote +
                "' as done but kept it " + kept + "; no longer exported (export.max_ignored " +
                std::to_string(max_ignored) + "; state:export -f tries again)",
            item);
    }
    return true;
  });
}

int run_unmatched(const CliContext& ctx, const std::string& server) {
  auto store = open_state_read_only(ctx);
  if (!store) return ctx.fail(store.error());
  auto config = ctx.config();
  const int max_ignored = config ? config->config.export_max_ignored : AppConfig{}.export_max_ignored;
  nlohmann::json list = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const std::string& s, const std::string& reason, const MediaItem& item, const char* kind) {
    if (ctx.json()) {
      list.push_back({{"server", s}, {"item", item}, {"reason", reason}, {"kind", kind}});
      return;
    }
    std::string title = item.title;
    if (item.type == MediaType::episode) {
      if (const std::string label = episode_label(item.season, item.episode); !label.empty()) title += " " + label;
    }
    rows.push_back({s, item.item_id, std::string(to_string(item.type)), title, item.path.empty() ? "-" : item.path, reason});
  };
  if (*store) {
    (*store)->for_each_unmatched(server, [&](const std::string& s, const std::string& reason, const MediaItem& item) {
      add(s, reason, item, "unmatched");
      return true;
    });
    for_each_given_up(**store, server, max_ignored, [&](const std::string& s, const std::string& reason,
                                                        const MediaItem& item) { add(s, reason, item, "ignored_writes"); });
  } else {
    ctx.warn(kNoStateYet);
  }
  if (ctx.json()) {
    print_json(*ctx.out, list);
  } else if (rows.empty()) {
    *ctx.out << "no unmatched items\n";
  } else {
    print_table(*ctx.out, {"server", "item id", "type", "title", "path", "why"}, rows);
  }
  return kExitOk;
}

// Streams the records one per line (backup_format.h): a backup of 100,000 records never holds
// them all in memory. Written to FILE.tmp, then renamed: a failed backup leaves no half file.
int run_backup(const CliContext& ctx, const std::string& file) {
  auto store = open_state_read_only(ctx);
  if (!store) return ctx.fail(store.error());
  if (!*store) return ctx.fail(kNoStateYet);
  const std::filesystem::path target(file);
  const auto temp = target.string() + ".tmp";
  std::ofstream out(temp, std::ios::trunc);
  if (!out) return ctx.fail(file + ": cannot write: " + std::strerror(errno));
  const uint64_t n = write_backup(**store, out);
  out.close();
  if (!out) return ctx.fail(file + ": writing failed: " + std::strerror(errno));
  std::error_code ec;
  std::filesystem::rename(temp, target, ec);
  if (ec) return ctx.fail(file + ": " + ec.message());
  if (ctx.json()) {
    print_json(*ctx.out, {{"file", file}, {"records", n}});
  } else {
    *ctx.out << "wrote " << n << " records to " << file << "\n";
  }
  return kExitOk;
}

// Replaces the whole state with the backup's records: read as a stream, each record checked and
// written into a new state beside the live one, which takes its place only when the whole file
// was read without a fault (store_replacement.h). A refused backup changes nothing.
int run_restore(const CliContext& ctx, const std::string& file) {
  auto config = ctx.config();
  if (!config) return ctx.fail(config.error());
  std::ifstream in(file, std::ios::binary);
  if (!in) return ctx.fail(file + ": cannot read: " + std::strerror(errno));
  StoreReplacement::Options options;
  options.dir = ctx.paths.db_dir();
  options.map_size = config->config.store.map_size;
  auto replacement = StoreReplacement::begin(options);
  if (!replacement) {
    const auto& e = replacement.error();
    if (e.kind == ErrorKind::unavailable) {
      return ctx.fail(e.message + ". state:restore replaces the whole state and needs it to itself: stop the "
                      "reconciler (or watchstate serve) and run it again");
    }
    return ctx.fail(e);
  }
  auto read = read_backup(in, file, [&](Record record) { return replacement->add(std::move(record)); });
  if (!read) return ctx.fail(read.error().message + "; nothing was restored, the state is unchanged");
  auto restored = replacement->commit();
  if (!restored) return ctx.fail(file + ": " + restored.error().message);
  if (ctx.json()) {
    print_json(*ctx.out, {{"file", file}, {"records", restored.value()}});
  } else {
    *ctx.out << "restored " << restored.value() << " records from " << file
             << "; the outbox and last syncs were cleared, so the next import and export run in full\n";
  }
  return kExitOk;
}

}  // namespace

void register_transfer_commands(CLI::App& app, CliContext& ctx) {
  auto* unmatched = add_command(app, "state:unmatched", "Items a server has that could not be matched, and why");
  auto server = std::make_shared<std::string>();
  unmatched->add_option("-s,--server", *server, "Only this server");
  unmatched->callback([&ctx, server] { ctx.action = [&ctx, server] { return run_unmatched(ctx, *server); }; });

  auto* backup = add_command(app, "state:backup", "Write the whole state to FILE as portable JSON");
  auto bfile = std::make_shared<std::string>();
  backup->add_option("FILE", *bfile, "Where to write the backup")->required();
  backup->callback([&ctx, bfile] { ctx.action = [&ctx, bfile] { return run_backup(ctx, *bfile); }; });

  auto* restore = add_command(app, "state:restore",
                              "Replace the whole state with a backup written by state:backup (the outbox and last "
                              "syncs are cleared: the next import and export run in full)");
  auto rfile = std::make_shared<std::string>();
  restore->add_option("FILE", *rfile, "The backup to load")->required()->check(CLI::ExistingFile);
  restore->callback([&ctx, rfile] { ctx.action = [&ctx, rfile] { return run_restore(ctx, *rfile); }; });
}

}  // namespace ws
