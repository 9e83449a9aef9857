// state:list and state:show: looking at the state without changing it.
#include "ws/state_commands.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/guids.h"
#include "ws/record.h"
#include "ws/state_access.h"

namespace ws {
namespace {

struct ListOptions {
  bool watched = false;
  bool orphans = false;
  std::string search;
  int limit = 100;
};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Case-insensitive (ASCII) match on the title (servers' own titles are not kept, DESIGN §5).
bool matches(const Record& r, const std::string& needle) {
  return needle.empty() || lower(r.title).find(needle) != std::string::npos;
}

// A record no server holds any more (rule 8 pruned every server's metadata): kept, because its
// state is the user's history, and listed so the user can see what the servers lost.
bool orphan(const Record& r) {
  for (const auto& [server, meta] : r.metadata)
    if (!meta.item_id.empty()) return false;
  return true;
}

std::string guid_list(const Guids& guids) {
  std::string out;
  for (const auto& [source, value] : guids) out += (out.empty() ? "" : " ") + source + "://" + value;
  return out.empty() ? "-" : out;
}

nlohmann::json summary(const Record& r) {
  return {{"id", r.id},          {"type", to_string(r.type)}, {"title", r.title}, {"year", r.year},
          {"season", r.season},  {"episode", r.episode},      {"watched", r.watched}, {"updated", r.updated},
          {"via", r.via},        {"guids", r.guids},          {"progress_ms", r.progress.ms}};
}

int run_list(const CliContext& ctx, const ListOptions& opts) {
  auto store = open_state_read_only(ctx);
  if (!store) return ctx.fail(store.error());
  std::vector<Record> found;
  if (*store) {
    const std::string needle = lower(opts.search);
    (*store)->for_each([&](const Record& r) {
      if (opts.watched && !r.watched) return true;
      if (opts.orphans && !orphan(r)) return true;
      if (!matches(r, needle)) return true;
      found.push_back(r);
      return opts.limit <= 0 || found.size() < static_cast<size_t>(opts.limit);
    });
  } else {
    ctx.warn(kNoStateYet);
  }
  if (ctx.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : found) list.push_back(summary(r));
    print_json(*ctx.out, list);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : found) {
    rows.push_back({std::to_string(r.id), std::string(to_string(r.type)), r.watched ? "yes" : "no", display_title(r),
                    format_time(r.updated), r.via.empty() ? "-" : r.via});
  }
  print_table(*ctx.out, {"ID", "TYPE", "WATCHED", "TITLE", "UPDATED (UTC)", "VIA"}, rows);
  if (opts.limit > 0 && found.size() == static_cast<size_t>(opts.limit)) {
    *ctx.err << "showing the first " << opts.limit << "; use --limit 0 for all\n";
  }
  return kExitOk;
}

void print_record(std::ostream& out, const Record& r) {
  out << "id:        " << r.id << "\n"
      << "type:      " << to_string(r.type) << "\n"
      << "title:     " << display_title(r) << "\n"
      << "watched:   " << (r.watched ? "yes" : "no") << "\n"
      << "updated:   " << format_time(r.updated) << (r.via.empty() ? "" : " via " + r.via) << "\n"
      << "guids:     " << guid_list(r.guids) << "\n";
  if (r.type == MediaType::episode) out << "series:    " << guid_list(r.parent) << "\n";
  if (r.progress.ms > 0) {
    out << "progress:  " << r.progress.ms / 1000 << "s via " << r.progress.via << " at " << format_time(r.progress.at)
        << "\n";
  }
  out << "created:   " << format_time(r.created_at) << ", changed: " << format_time(r.updated_at) << "\n";
  if (r.metadata.empty()) return;
  std::vector<std::vector<std::string>> rows;
  for (const auto& [server, m] : r.metadata) {
    rows.push_back({server, m.item_id, m.watched ? "yes" : "no", format_time(m.played_at), format_time(m.added_at),
                    std::to_string(m.progress_ms / 1000) + "s"});
  }
  out << "\n";
  print_table(out, {"SERVER", "ITEM", "WATCHED", "PLAYED (UTC)", "ADDED (UTC)", "PROGRESS"}, rows);
}

int run_show(const CliContext& ctx, const std::string& what) {
  const bool is_id = !what.empty() && what.size() <= 19 &&
                     std::all_of(what.begin(), what.end(), [](unsigned char c) { return std::isdigit(c); });
  std::optional<std::pair<std::string, std::string>> guid;
  if (!is_id) {
    guid = parse_guid_uri(what);
    if (!guid) return ctx.usage("'" + what + "' is neither a record id nor a GUID like imdb://tt0111161");
  }
  auto store = open_state_read_only(ctx);
  if (!store) return ctx.fail(store.error());
  if (!*store) return ctx.fail(kNoStateYet);
  std::vector<Record> found;
  if (is_id) {
    if (auto r = (*store)->get(std::stoull(what))) found.push_back(*r);
  } else {
    found = (*store)->find_by_guid(guid->first, guid->second);
  }
  if (found.empty()) return ctx.fail("no record for " + what);
  if (ctx.json()) {
    if (found.size() == 1) {
      print_json(*ctx.out, nlohmann::json(found.front()));
    } else {
      print_json(*ctx.out, nlohmann::json(found));
    }
    return kExitOk;
  }
  for (size_t i = 0; i < found.size(); ++i) {
    if (i > 0) *ctx.out << "\n";
    print_record(*ctx.out, found[i]);
  }
  return kExitOk;
}

}  // namespace

void register_state_commands(CLI::App& app, CliContext& ctx) {
  auto* list = add_command(app, "state:list", "List movies and episodes in the state");
  auto list_opts = std::make_shared<ListOptions>();
  list->add_flag("--watched", list_opts->watched, "Only watched items");
  list->add_flag("--orphans", list_opts->orphans,
                 "Only items no server has any more (every server's import found them gone; their history stays)");
  list->add_option("--search", list_opts->search, "Only items whose title contains TEXT (any case)");
  list->add_option("--limit", list_opts->limit, "Show at most N items (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  list->callback([&ctx, list_opts] { ctx.action = [&ctx, list_opts] { return run_list(ctx, *list_opts); }; });

  auto* show = add_command(app, "state:show", "Show one record, by id or by GUID (imdb://tt0111161)");
  auto what = std::make_shared<std::string>();
  show->add_option("ID|GUID", *what, "Record id, or an external id like imdb://tt0111161")->required();
  show->callback([&ctx, what] { ctx.action = [&ctx, what] { return run_show(ctx, *what); }; });
}

}  // namespace ws
