#include "ws/webhook_test_command.h"

#include <memory>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/ingest_options.h"
#include "ws/match_keys.h"
#include "ws/state_access.h"
#include "ws/test_webhook.h"

namespace ws {
namespace {

struct WebhookTestOptions {
  std::string server;
  std::string item;
  std::string url;  // ingest's base URL; default from webhook.listen
};

// The item to test with: `wanted` (the server's id) if the state has it, else the record NAME
// shows that changed last. The state is only read.
Result<MediaItem> pick_item(const CliContext& ctx, const std::string& server, const std::string& wanted) {
  auto store = open_state_read_only(ctx);
  if (!store) return store.error();
  MediaItem item;
  item.server = server;
  std::optional<Record> found;
  if (!wanted.empty()) {
    item.item_id = wanted;
    found = (*store)->find(item);
    if (!found) {
      item.type = MediaType::movie;  // not in the state: the reconciler fetches it first
      return item;
    }
  } else {
    (*store)->for_each([&](const Record& r) {
      if (r.metadata.count(server) && (!found || r.updated_at > found->updated_at)) found = r;
      return true;
    });
    if (!found)
      return make_error(ErrorKind::not_found, "the state has no item of " + server +
                                                  " yet: import it first (state:import), or give --item ID");
  }
  const ServerMeta& meta = found->metadata.at(server);
  item.item_id = meta.item_id;
  item.type = found->type;
  item.title = found->title;
  item.library_id = meta.library_id;
  return item;
}

int run_webhook_test(const CliContext& ctx, const WebhookTestOptions& opts) {
  auto servers = ctx.servers();
  if (!servers) return ctx.fail(servers.error());
  const ServerConfig* server = servers->find(opts.server);
  if (!server) return ctx.usage("no server '" + opts.server + "' in servers.yaml");
  auto config = ctx.config();
  if (!config) return ctx.fail(config.error());
  const std::string key = !config->config.webhook.apikey.empty() ? config->config.webhook.apikey : server->webhook_token;
  if (key.empty()) return ctx.fail("no webhook key: run config:generate (webhook.apikey)");

  std::string base = opts.url;
  if (base.empty()) {
    auto listen = parse_listen(config->config.webhook.listen);
    if (!listen) return ctx.fail(listen.error());
    const bool wildcard = listen->host.empty() || listen->host == "0.0.0.0" || listen->host == "::";
    base = "http://" + (wildcard ? std::string("127.0.0.1") : listen->host) + ":" + std::to_string(listen->port);
  }
  auto item = pick_item(ctx, server->name, opts.item);
  if (!item) return ctx.fail(item.error());
  const WebhookRequest request = test_webhook(*server, *item);

  httplib::Client client(base);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(40, 0);  // ingest waits up to 30 s for the reconciler
  httplib::Headers headers = {{"X-Apikey", key}, {"X-Dry-Run", "1"}};
  const std::string path = "/?type=" + std::string(to_string(server->type)) + "&dry_run=1";
  auto r = client.Post(path.c_str(), headers, request.body, request.content_type.c_str());
  if (!r) return ctx.fail("ingest does not answer on " + base + " (is `watchstate serve` or ws-ingest running?): " +
                          httplib::to_string(r.error()));
  auto answer = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200 || answer.is_discarded() || !answer.contains("decision")) {
    std::string why = r->get_header_value("X-Status");
    if (!answer.is_discarded() && answer.contains("error")) why = answer["error"].get<std::string>();
    return ctx.fail("the test event for " + server->name + " was answered " + std::to_string(r->status) + ": " + why);
  }
  if (ctx.json()) {
    print_json(*ctx.out, answer);
    return kExitOk;
  }
  const auto& d = answer["decision"];
  std::string push;
  for (const auto& s : d.value("push", nlohmann::json::array())) push += (push.empty() ? "" : ", ") + s.get<std::string>();
  *ctx.out << "webhook:test " << server->name << " (a dry run: nothing was applied)\n";
  print_table(*ctx.out, {"", ""},
              {{"event", answer["event"].value("event", "")},
               {"item", item->item_id + (item->title.empty() ? "" : " (" + item->title + ")")},
               {"fetched first", d.value("fetched", false) ? "yes" : "no"},
               {"decision", d.value("action", "")},
               {"reason", d.value("reason", "")},
               {"would push to", push.empty() ? "none" : push}});
  return kExitOk;
}

}  // namespace

void register_webhook_test_command(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<WebhookTestOptions>();
  auto* cmd = add_command(app, "webhook:test",
                          "Send a test webhook of server NAME through the running ingest (dry run) and print the decision");
  cmd->add_option("NAME", opts->server, "The server (servers.yaml) whose webhook to imitate")->required();
  cmd->add_option("--item", opts->item, "The server's item id to test with (default: its item changed last)");
  cmd->add_option("--url", opts->url, "Ingest's base URL (default: from webhook.listen)");
  cmd->callback([&ctx, opts] { ctx.action = [&ctx, opts] { return run_webhook_test(ctx, *opts); }; });
}

}  // namespace ws
