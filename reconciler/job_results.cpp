#include "ws/job_results.h"

#include <set>
#include <string_view>

#include "ws/message_fields.h"
#include "ws/protocol.h"

namespace ws {
namespace {


// The outbox keys of the job's actions (the job body is ours: no check needed beyond shape).
std::set<std::string> action_keys(const nlohmann::json& job_body) {
  std::set<std::string> keys;
  auto actions = job_body.find("actions");
  if (actions == job_body.end() || !actions->is_array()) return keys;
  for (const auto& a : *actions)
    if (auto k = a.find("key"); k != a.end() && k->is_string()) keys.insert(k->get<std::string>());
  return keys;
}

}  // namespace

Result<std::vector<PlannedLibrary>> read_plan_result(const nlohmann::json& result) {
  MessageFields fields("job.done result (plan)", result);
  fields.require("libraries");
  const auto& libraries = fields.list_or_empty("libraries");
  std::vector<PlannedLibrary> out;
  for (const auto& lib : libraries) {
    MessageFields f("job.done result (plan) library", lib);
    PlannedLibrary l;
    l.id = f.string("id");
    l.kind = f.string_or("kind", "movie");
    l.ignored = f.boolean_or("ignored", false);
    l.total = f.integer_or("total", 0, 0, kMaxLibraryItems);
    (void)f.string_or("title", "");
    if (f.ok() && l.kind != "movie" && l.kind != "episode") f.invalid("kind", "must be \"movie\" or \"episode\"");
    if (!f.ok()) return f.as_error();
    out.push_back(std::move(l));
  }
  if (!fields.ok()) return fields.as_error();
  return out;
}

Result<std::vector<MediaItem>> read_items_result(const nlohmann::json& result) {
  MessageFields fields("job.done result (items)", result);
  fields.require("items");
  const auto& list = fields.list_or_empty("items");
  if (!fields.ok()) return fields.as_error();
  std::vector<MediaItem> items;
  items.reserve(list.size());
  for (const auto& entry : list) {
    try {
      items.push_back(entry.get<MediaItem>());
    } catch (const nlohmann::json::exception& e) {
      return make_error(ErrorKind::invalid_input, std::string("job.done result (items): an item does not read: ") + e.what());
    }
    if (items.back().item_id.empty())
      return make_error(ErrorKind::invalid_input, "job.done result (items): an item has no item_id");
  }
  return items;
}

std::string_view to_string(ExportOutcomeKind kind) {
  switch (kind) {
    case ExportOutcomeKind::written: return protocol::kOutcomeWritten;
    case ExportOutcomeKind::unchanged: return protocol::kOutcomeUnchanged;
    case ExportOutcomeKind::skipped: return protocol::kOutcomeSkipped;
    case ExportOutcomeKind::gone: return protocol::kOutcomeGone;
  }
  return "?";
}

Result<ExportResult> read_export_result(const nlohmann::json& result, const nlohmann::json& job_body) {
  MessageFields fields("job.done result (export)", result);
  const auto keys = action_keys(job_body);
  ExportResult out;
  auto read = [&](const char* list, std::vector<ExportOutcome>& into) -> Result<Ok> {
    for (const auto& entry : fields.list_or_empty(list)) {
      MessageFields f(list == std::string_view("done") ? "job.done result (export) 'done' entry"
                                                       : "job.done result (export) 'failed' entry",
                      entry);
      ExportOutcome o;
      o.key = f.string("key");
      o.error = f.string_or("error", "");
      o.reason = f.string_or("reason", "");
      const std::string outcome = f.string_or("outcome", "");
      bool known = outcome.empty();
      for (auto kind : {ExportOutcomeKind::written, ExportOutcomeKind::unchanged, ExportOutcomeKind::skipped,
                        ExportOutcomeKind::gone}) {
        if (outcome == to_string(kind)) {
          o.outcome = kind;
          known = true;
        }
      }
      if (f.ok() && !known)
        f.invalid("outcome", "must be written, unchanged, skipped or gone, not '" + outcome.substr(0, 20) + "'");
      o.written = f.boolean_or("written", outcome.empty() || o.outcome == ExportOutcomeKind::written);
      if (outcome.empty()) {
        o.outcome = o.written ? ExportOutcomeKind::written : ExportOutcomeKind::unchanged;
      } else if (f.ok() && o.written != (o.outcome == ExportOutcomeKind::written)) {
        f.invalid("written", std::string("is ") + (o.written ? "true" : "false") + " but 'outcome' is " + outcome);
      }
      auto state = entry.is_object() ? entry.find("state") : entry.end();
      if (state != entry.end() && !state->is_null()) {
        MessageFields sf("job.done result (export) 'state'", *state);
        ReadBackState st;
        st.watched = sf.boolean_or("watched", false);
        st.played_at = sf.integer_or("played_at", 0, 0, INT64_MAX);
        st.progress_ms = sf.integer_or("progress_ms", 0, 0, INT64_MAX);
        if (!sf.ok()) return sf.as_error();
        o.state = st;
      }
      if (f.ok() && !keys.count(o.key)) f.invalid("key", "is not an action of this job: " + o.key.substr(0, 80));
      if (!f.ok()) return f.as_error();
      into.push_back(std::move(o));
    }
    return Ok{};
  };
  if (auto done = read("done", out.done); !done) return done.error();
  if (auto failed = read("failed", out.failed); !failed) return failed.error();
  if (!fields.ok()) return fields.as_error();
  return out;
}

Result<Ok> check_job_result(const Job& job, const nlohmann::json& result) {
  if (job.type == protocol::kJobExport) {
    auto read = read_export_result(result, job.body);
    if (!read) return read.error();
    return Ok{};
  }
  auto kind = job.body.find("kind");
  if (job.type == protocol::kJobFetch && kind != job.body.end() && *kind == "plan") {
    auto read = read_plan_result(result);
    if (!read) return read.error();
    return Ok{};
  }
  if (job.type == protocol::kJobFetch && kind != job.body.end() && *kind == "items") {
    auto read = read_items_result(result);
    if (!read) return read.error();
    return Ok{};
  }
  // Pages: {items, batches}, counts the reconciler does not rely on (the batches carry the items).
  MessageFields fields("job.done result (pages)", result);
  (void)fields.integer_or("items", 0, 0, INT64_MAX);
  (void)fields.integer_or("batches", 0, 0, INT64_MAX);
  if (!fields.ok()) return fields.as_error();
  return Ok{};
}

}  // namespace ws
