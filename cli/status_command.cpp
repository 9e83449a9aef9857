#include "ws/status_command.h"

#include <chrono>
#include <memory>
#include <ostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/control_client.h"

namespace ws {
namespace {

int run_status(const CliContext& ctx, int timeout_seconds) {
  auto config = ctx.config();
  if (!config) return ctx.fail(config.error());
  const std::string endpoint = config->config.endpoints.control;
  const std::string nobody = "no reconciler answers at " + endpoint;
  auto curve = control_curve_keys(ctx.paths, endpoint);
  if (!curve) return ctx.fail(curve.error());
  // A refused tcp connect is known at once; ZeroMQ alone would keep retrying until the timeout.
  if (tcp_endpoint_refused(endpoint)) return ctx.fail(nobody + " (connection refused)");

  zmq::context_t context;
  ControlClient client(context, endpoint, protocol::kDefaultMaxMessage, *curve);
  ControlRequest request;
  request.command = "status";
  auto reply = client.run(request, nullptr, std::chrono::seconds(timeout_seconds));
  if (!reply) return ctx.fail(nobody + " within " + std::to_string(timeout_seconds) + " s");
  if (!reply->value("ok", false)) return ctx.fail("the reconciler at " + endpoint + " refused: " + reply->value("error", ""));
  const nlohmann::json status = reply->value("summary", nlohmann::json::object());

  if (ctx.json()) {
    print_json(*ctx.out, {{"endpoint", endpoint}, {"status", status}});
    return kExitOk;
  }
  auto number = [&](const char* key) { return std::to_string(status.value(key, uint64_t{0})); };
  const std::string running = status.value("running", "");
  std::vector<std::vector<std::string>> rows{{"running", running.empty() ? "idle" : running},
                                             {"queued requests", number("queued_requests")},
                                             {"jobs queued", number("jobs_queued")},
                                             {"jobs in flight", number("jobs_in_flight")},
                                             {"fetchers", number("fetchers")},
                                             {"exporters", number("exporters")},
                                             {"outbox", number("outbox")}};
  if (auto it = status.find("imports"); it != status.end() && it->is_object()) {
    for (const auto& [server, imp] : it->items()) {
      const std::string kind = imp.value("kind", "");
      rows.push_back({"last import: " + server,
                      kind.empty() ? "never"
                                   : format_time(imp.value("last", int64_t{0})) + " UTC (" + kind + "; last full " +
                                         format_time(imp.value("last_full", int64_t{0})) + ")"});
    }
  }
  print_table(*ctx.out, {"RECONCILER", endpoint}, rows);
  return kExitOk;
}

}  // namespace

void register_status_command(CLI::App& app, CliContext& ctx) {
  auto* status = add_command(app, "status", "Ask the running reconciler what it is doing (exit 1 when none answers)");
  auto timeout = std::make_shared<int>(5);
  status->add_option("--timeout", *timeout, "Seconds to wait for the answer")->check(CLI::Range(1, 300))->capture_default_str();
  status->callback([&ctx, timeout] { ctx.action = [&ctx, timeout] { return run_status(ctx, *timeout); }; });
}

}  // namespace ws
