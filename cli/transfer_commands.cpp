#include "ws/transfer_commands.h"

#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/record.h"
#include "ws/state_access.h"

namespace ws {
namespace {

// The backup's shape; bumped when it changes incompatibly.
constexpr const char* kBackupFormat = "watchstate-backup";
constexpr int kBackupVersion = 1;

int run_unmatched(const CliContext& ctx, const std::string& server) {
  auto store = open_state_read_only(ctx);
  if (!store) return ctx.fail(store.error());
  nlohmann::json list = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  if (*store) {
    (*store)->for_each_unmatched(server, [&](const std::string& s, const std::string& reason, const MediaItem& item) {
      if (ctx.json()) {
        list.push_back({{"server", s}, {"item", item}, {"reason", reason}});
      } else {
        std::string title = item.title;
        if (item.type == MediaType::episode) {
          char se[32];
          std::snprintf(se, sizeof se, " S%02dE%02d", item.season, item.episode);
          title += se;
        }
        rows.push_back({s, item.item_id, std::string(to_string(item.type)), title, item.path.empty() ? "-" : item.path, reason});
      }
      return true;
    });
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

// Streams one record per line inside a JSON document, so a backup of 100,000 records never
// holds them all in memory.
int run_backup(const CliContext& ctx, const std::string& file) {
  auto store = open_state_read_only(ctx);
  if (!store) return ctx.fail(store.error());
  if (!*store) return ctx.fail(kNoStateYet);
  const std::filesystem::path target(file);
  const auto temp = target.string() + ".tmp";
  std::ofstream out(temp, std::ios::trunc);
  if (!out) return ctx.fail(file + ": cannot write: " + std::strerror(errno));
  out << "{\"format\":\"" << kBackupFormat << "\",\"version\":" << kBackupVersion
      << ",\"created_at\":" << std::time(nullptr) << ",\"records\":[\n";
  uint64_t n = 0;
  (*store)->for_each([&](const Record& r) {
    out << (n++ ? ",\n" : "") << nlohmann::json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return true;
  });
  out << "\n]}\n";
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

int run_restore(const CliContext& ctx, const std::string& file) {
  std::ifstream in(file);
  if (!in) return ctx.fail(file + ": cannot read: " + std::strerror(errno));
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return ctx.fail(file + ": not a JSON document");
  if (doc.value("format", "") != kBackupFormat)
    return ctx.fail(file + ": not a watchstate backup (format is not '" + kBackupFormat + "')");
  if (doc.value("version", 0) != kBackupVersion)
    return ctx.fail(file + ": backup version " + std::to_string(doc.value("version", 0)) + " is not supported (this build reads " +
                    std::to_string(kBackupVersion) + ")");
  auto records = doc.find("records");
  if (records == doc.end() || !records->is_array()) return ctx.fail(file + ": no 'records' list");
  std::vector<Record> parsed;
  parsed.reserve(records->size());
  for (size_t i = 0; i < records->size(); ++i) {
    try {
      parsed.push_back((*records)[i].get<Record>());
    } catch (const std::exception& e) {
      return ctx.fail(file + ": record " + std::to_string(i + 1) + ": " + e.what());
    }
  }
  auto store = Store::open({ctx.paths.db_dir(), false});
  if (!store) return ctx.fail(store.error());
  constexpr size_t kPerTransaction = 5000;
  for (size_t i = 0; i < parsed.size(); i += kPerTransaction) {
    auto batch = store.value()->begin_write();
    for (size_t k = i; k < std::min(parsed.size(), i + kPerTransaction); ++k) batch.put(parsed[k]);
    if (auto c = batch.commit(); !c) return ctx.fail(c.error());
  }
  if (ctx.json()) {
    print_json(*ctx.out, {{"file", file}, {"records", parsed.size()}});
  } else {
    *ctx.out << "restored " << parsed.size() << " records from " << file << "\n";
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
                                     "Load a backup written by state:backup (records with the same id are replaced)");
  auto rfile = std::make_shared<std::string>();
  restore->add_option("FILE", *rfile, "The backup to load")->required()->check(CLI::ExistingFile);
  restore->callback([&ctx, rfile] { ctx.action = [&ctx, rfile] { return run_restore(ctx, *rfile); }; });
}

}  // namespace ws
