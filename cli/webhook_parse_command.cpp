// webhook:parse. The file holds the raw request body. Multipart bodies (Plex, Emby) need their
// boundary: from --content-type when given, else read off the body's first line, which is
// "--<boundary>" in every multipart body.
#include "ws/webhook_parse_command.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/webhook_parser.h"

namespace ws {
namespace {

struct WebhookParseOptions {
  std::string type;
  std::string content_type;
  std::string file;
};

// The content type a captured body was most likely sent with.
std::string guess_content_type(ServerType type, const std::string& body) {
  if (body.starts_with("--")) {
    const size_t eol = body.find('\n');
    std::string boundary = body.substr(2, eol == std::string::npos ? std::string::npos : eol - 2);
    if (!boundary.empty() && boundary.back() == '\r') boundary.pop_back();
    if (!boundary.empty()) return "multipart/form-data; boundary=\"" + boundary + "\"";
  }
  return type == ServerType::jellyfin ? "text/plain" : "application/json";
}

int run_webhook_parse(const CliContext& ctx, const WebhookParseOptions& opts) {
  const auto type = parse_server_type(opts.type);
  if (!type) return ctx.usage("--type must be plex, jellyfin or emby, not '" + opts.type + "'");
  std::error_code ec;
  const auto size = std::filesystem::file_size(opts.file, ec);
  if (ec) return ctx.fail("cannot read " + opts.file + ": " + ec.message());
  if (size > kMaxWebhookBodyBytes)
    return ctx.fail(opts.file + " is " + std::to_string(size) + " bytes, over the webhook limit of " +
                    std::to_string(kMaxWebhookBodyBytes));
  std::ifstream in(opts.file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return ctx.fail("cannot read " + opts.file);

  WebhookRequest request;
  request.body = text.str();
  request.content_type = opts.content_type.empty() ? guess_content_type(*type, request.body) : opts.content_type;
  auto event = parse_webhook(*type, request);
  if (!event) return ctx.fail(opts.file + ": " + event.error().message);
  print_json(*ctx.out, nlohmann::json(*event));
  return kExitOk;
}

}  // namespace

void register_webhook_commands(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<WebhookParseOptions>();
  auto* cmd = add_command(app, "webhook:parse", "Parse a captured webhook body and print the normalized event as JSON");
  cmd->add_option("--type", opts->type, "The server that sent it: plex, jellyfin or emby")
      ->required()
      ->check(CLI::IsMember({"plex", "jellyfin", "emby"}));
  cmd->add_option("--content-type", opts->content_type,
                  "The request's Content-Type (gives the multipart boundary); guessed from the body when absent");
  cmd->add_option("FILE", opts->file, "The raw request body")->required();
  cmd->callback([&ctx, opts] { ctx.action = [&ctx, opts] { return run_webhook_parse(ctx, *opts); }; });
}

}  // namespace ws
