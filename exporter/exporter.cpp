#include "ws/exporter.h"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

#include "ws/export_job.h"
#include "ws/message_fields.h"

namespace ws {

Exporter::Exporter(zmq::context_t& context, ExporterOptions options)
    : options_(checked_worker_options(std::move(options), "exporter")),
      clients_(options_, "exporter"),
      worker_(context, job_worker_options(options_, protocol::kServiceExport),
              [this](const Message& job, JobContext& ctx) { return handle(job, ctx); }) {}

void Exporter::run() { worker_.run(); }

void Exporter::stop() { worker_.stop(); }

Result<nlohmann::json> Exporter::handle(const Message& message, JobContext& ctx) {
  MessageFields fields("job.export", message.body);
  const std::string server = fields.string("server");
  fields.require("actions");
  const nlohmann::json& action_list = fields.list_or_empty("actions");
  if (!fields.ok()) return fields.as_error();

  // Malformed entries fail alone (by their key); one without a key fails the job, as it could
  // not be reported.
  std::vector<ExportAction> actions;
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& entry : action_list) {
    auto action = parse_export_action(entry);
    if (action) {
      actions.push_back(std::move(action.value()));
      continue;
    }
    auto key = entry.is_object() ? entry.find("key") : entry.end();
    if (!entry.is_object() || key == entry.end() || !key->is_string()) return action.error();
    failed.push_back({{"key", key->get<std::string>()}, {"error", action.error().message}});
  }

  const size_t threads =
      std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(options_.config.export_concurrency), actions.size()));
  auto pool = clients_.clients_for(server, threads);
  if (!pool) return pool.error();
  const int64_t tolerance = std::max<int64_t>(1000, int64_t{options_.config.progress_min_delta_s} * 1000);

  std::vector<BackendClient*> clients;
  for (size_t t = 0; t < threads; ++t) clients.push_back((*pool)->clients[t].get());
  const auto results = run_export_actions(clients, actions, tolerance, [&ctx] { return ctx.cancelled(); });
  if (ctx.cancelled()) return make_error(ErrorKind::unavailable, "export job " + ctx.job() + " was cancelled");

  nlohmann::json done = nlohmann::json::array();
  size_t written = 0;
  size_t retryable_failures = 0;
  std::optional<Error> first_error;
  for (size_t i = 0; i < actions.size(); ++i) {
    const ActionResult& r = results[i];
    if (r.outcome) {
      nlohmann::json entry = {{"key", actions[i].key}, {"written", r.outcome->written()},
                              {"outcome", to_string(r.outcome->kind)}};
      if (!r.outcome->reason.empty()) entry["reason"] = r.outcome->reason;
      if (r.state)
        entry["state"] = {{"watched", r.state->watched},
                          {"played_at", r.state->watched ? std::max<int64_t>(0, r.state->played_at) : 0},
                          {"progress_ms", std::max<int64_t>(0, r.state->progress_ms)}};
      done.push_back(std::move(entry));
      written += r.outcome->written() ? 1 : 0;
    } else {
      const Error error = r.error ? *r.error : make_error(ErrorKind::unavailable, "the action did not run");
      failed.push_back({{"key", actions[i].key}, {"error", error.message}});
      if (is_retryable(error)) ++retryable_failures;
      if (!first_error) first_error = error;
    }
  }
  // The server was unreachable for every action: the whole job is worth another attempt.
  if (!actions.empty() && retryable_failures == actions.size() && failed.size() == actions.size())
    return *first_error;
  spdlog::debug("{}: job {} {}: {} actions, {} written, {} failed", options_.name, ctx.job(), server,
                actions.size(), written, failed.size());
  return nlohmann::json{{"done", std::move(done)}, {"failed", std::move(failed)}};
}

}  // namespace ws
