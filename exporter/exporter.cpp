#include "ws/exporter.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>

#include "ws/message_fields.h"

namespace ws {
namespace {

// What happened to one action; exactly one of written / error is set once it ran.
struct Outcome {
  std::optional<bool> written;
  std::optional<Error> error;
};

}  // namespace

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

  // Actions of one item stay in job order on one thread (an unplay then a progress must not
  // race); items are spread over `threads` threads, each with its own client: at most
  // `threads` requests to this server at once.
  std::vector<std::vector<size_t>> groups;
  {
    std::map<std::string, size_t> group_of;
    for (size_t i = 0; i < actions.size(); ++i) {
      auto [it, added] = group_of.emplace(actions[i].item.item_id, groups.size());
      if (added) groups.emplace_back();
      groups[it->second].push_back(i);
    }
  }
  std::vector<Outcome> outcomes(actions.size());
  std::atomic<size_t> next{0};
  auto work = [&](BackendClient& client) {
    for (size_t g = next.fetch_add(1); g < groups.size() && !ctx.cancelled(); g = next.fetch_add(1)) {
      for (size_t i : groups[g]) {
        // What a bug below throws fails this action only: out of a helper thread it would end
        // the process.
        try {
          auto written = apply_export_action(client, actions[i], tolerance);
          if (written) outcomes[i].written = *written;
          else outcomes[i].error = written.error();
        } catch (const std::exception& e) {
          outcomes[i].error = make_error(ErrorKind::invalid_input, std::string("internal error: ") + e.what());
        } catch (...) {
          outcomes[i].error = make_error(ErrorKind::invalid_input, "internal error: an unknown exception");
        }
      }
    }
  };
  const size_t used = std::min(threads, std::max<size_t>(1, groups.size()));
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < used; ++t) {
    try {
      helpers.emplace_back(work, std::ref(*(*pool)->clients[t]));
    } catch (const std::system_error& e) {  // no more threads to be had: fewer share the work
      spdlog::warn("{}: job {}: {} of {} threads: {}", options_.name, ctx.job(), t, used, e.what());
      break;
    }
  }
  work(*(*pool)->clients[0]);
  for (auto& helper : helpers) helper.join();
  if (ctx.cancelled()) return make_error(ErrorKind::unavailable, "export job " + ctx.job() + " was cancelled");

  nlohmann::json done = nlohmann::json::array();
  size_t written = 0;
  size_t retryable_failures = 0;
  std::optional<Error> first_error;
  for (size_t i = 0; i < actions.size(); ++i) {
    if (outcomes[i].written) {
      done.push_back({{"key", actions[i].key}, {"written", *outcomes[i].written}});
      written += *outcomes[i].written ? 1 : 0;
    } else {
      const Error& error = *outcomes[i].error;
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
