// config:dump and config:generate. Neither ever replaces a file the user wrote: dump refuses,
// generate only adds the missing key (and prints the webhook URLs that carry it).
#include "ws/config_commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <ostream>
#include <random>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "ws/cli_commands.h"
#include "ws/cli_context.h"
#include "ws/cli_output.h"
#include "ws/curve_keys.h"
#include "ws/ingest_options.h"

namespace ws {
namespace {

// 32 random bytes as 64 hex digits, from the kernel's CSPRNG.
std::string random_hex_key() {
  unsigned char bytes[32];
  size_t got = 0;
  const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    while (got < sizeof bytes) {
      const ssize_t n = ::read(fd, bytes + got, sizeof bytes - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  if (got < sizeof bytes) {
    std::random_device rd;  // getrandom() on Linux; only used when /dev/urandom is unavailable
    for (auto& b : bytes) b = static_cast<unsigned char>(rd());
  }
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : bytes) {
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  return hex;
}

int run_dump(const CliContext& ctx, const std::string& what) {
  const bool servers = what == "servers";
  const auto path = servers ? ctx.paths.servers_file() : ctx.paths.config_file();
  auto ok = write_private_file(path, servers ? example_servers_yaml() : example_config_yaml(), false);
  if (!ok) return ctx.fail(ok.error());
  if (ctx.json()) {
    print_json(*ctx.out, {{"written", path.string()}});
  } else {
    *ctx.out << "wrote " << path.string() << " (mode 0600); edit it, then run `watchstate "
             << (servers ? "servers:list" : "config:generate") << "`\n";
  }
  return kExitOk;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Adds the key to an existing config.yaml, keeping its comments when the file has the usual
// block layout; otherwise rewrites it through yaml-cpp (which drops comments).
std::string with_apikey(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  const std::string value_line = "  apikey: '" + key + "'";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("webhook:", 0) != 0 || lines[i].find_first_not_of(' ', 8) != std::string::npos) continue;
    // Inside the block: replace an empty `apikey:` or insert one as its first key.
    size_t j = i + 1;
    for (; j < lines.size() && (lines[j].empty() || lines[j][0] == ' ' || lines[j][0] == '#'); ++j) {
      const size_t at = lines[j].find("apikey:");
      if (at != std::string::npos && lines[j].find_first_not_of(' ') == at) {
        const size_t comment = lines[j].find(" #", at);
        lines[j] = std::string(at, ' ') + "apikey: '" + key + "'" +
                   (comment == std::string::npos ? "" : "  " + lines[j].substr(comment + 1));
        j = lines.size() + 1;
        break;
      }
    }
    if (j <= lines.size()) lines.insert(lines.begin() + static_cast<long>(i) + 1, value_line);
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
  std::string out = text;
  if (!out.empty() && out.back() != '\n') out += "\n";
  return out + "webhook:\n" + value_line + "\n";
}

Result<std::string> add_apikey(const std::filesystem::path& path, const std::string& text, const std::string& key) {
  std::string updated = with_apikey(text, key);
  auto check = parse_config(updated, path.string());
  if (!check || check->config.webhook.apikey != key) {
    // Unusual layout (flow style, odd indentation): fall back to a structural edit.
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
    if (!root["webhook"] || !root["webhook"].IsMap()) root["webhook"] = YAML::Node(YAML::NodeType::Map);
    root["webhook"]["apikey"] = key;
    YAML::Emitter emitter;
    emitter << root;
    updated = std::string(emitter.c_str()) + "\n";
    check = parse_config(updated, path.string());
    if (!check || check->config.webhook.apikey != key) {
      return make_error(ErrorKind::invalid_input, path.string() + ": could not add webhook.apikey");
    }
  }
  return updated;
}

struct WebhookUrl {
  std::string server;  // empty: any server of the type
  std::string type;
  std::string url;
};

// The host a media server should post to: --host, else webhook.listen's host, else (a wildcard
// listen address) this machine's name.
std::string webhook_host(const std::string& given, const std::string& listen_host) {
  if (!given.empty()) return given;
  if (!listen_host.empty() && listen_host != "0.0.0.0" && listen_host != "::")
    return listen_host.find(':') != std::string::npos ? "[" + listen_host + "]" : listen_host;
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') return name;
  return "HOST";
}

// One URL per configured server (with its own webhook.token when it has one), or one per type
// when none is configured yet.
std::vector<WebhookUrl> webhook_urls(const CliContext& ctx, const std::string& key, const std::string& host_option) {
  std::string listen = AppConfig{}.webhook.listen;
  std::string apikey = key;
  if (auto config = ctx.config()) {
    listen = config->config.webhook.listen;
    if (!config->config.webhook.apikey.empty()) apikey = config->config.webhook.apikey;  // WS_WEBHOOK_APIKEY wins
  }
  auto address = parse_listen(listen);
  const std::string host = webhook_host(host_option, address ? address->host : "");
  const std::string port = address && address->port != 0 ? std::to_string(address->port) : "PORT";
  auto url = [&](std::string_view type, const std::string& k) {
    return "http://" + host + ":" + port + "/?type=" + std::string(type) + "&apikey=" + k;
  };
  std::vector<WebhookUrl> out;
  if (auto servers = ctx.servers(); servers && !servers->servers.empty()) {
    for (const auto& s : servers->servers) {
      const std::string& k = s.webhook_token.empty() ? apikey : s.webhook_token;
      out.push_back({s.name, std::string(to_string(s.type)), url(to_string(s.type), k)});
    }
  } else {
    for (auto type : {ServerType::plex, ServerType::jellyfin, ServerType::emby})
      out.push_back({"", std::string(to_string(type)), url(to_string(type), apikey)});
  }
  return out;
}

std::string_view describe(CurveKeyOutcome::Action action) {
  switch (action) {
    case CurveKeyOutcome::Action::created: return "created";
    case CurveKeyOutcome::Action::kept: return "kept";
    case CurveKeyOutcome::Action::public_restored: return "restored the public key of";
    case CurveKeyOutcome::Action::public_only: return "kept the public key (no secret key here) of";
  }
  return "kept";
}

// The CURVE keys (ws/curve_keys.h) in json, and said in text. Never prints a secret key.
Result<nlohmann::json> generate_keys(const CliContext& ctx) {
  const auto dir = ctx.paths.keys_dir();
  auto outcomes = generate_curve_keys(dir);
  if (!outcomes) return outcomes.error();
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& o : *outcomes) {
    const std::string action(describe(o.action));
    keys.push_back({{"name", o.name}, {"action", action}, {"fingerprint", o.fingerprint}});
    if (!ctx.json()) *ctx.out << action << " the CURVE keys of " << o.name << " (fingerprint " << o.fingerprint << ")\n";
  }
  if (!ctx.json())
    *ctx.out << "CURVE keys are in " << dir.string()
             << " (mode 0600); tcp endpoints that are not loopback use them: copy the folder to every host\n";
  return nlohmann::json{{"folder", dir.string()}, {"keys", keys}};
}

int run_generate_keys_only(const CliContext& ctx) {
  auto keys = generate_keys(ctx);
  if (!keys) return ctx.fail(keys.error());
  if (ctx.json()) print_json(*ctx.out, {{"curve", *keys}});
  return kExitOk;
}

int run_generate(const CliContext& ctx, const std::string& host_option) {
  const auto path = ctx.paths.config_file();
  std::string key;
  bool created = false;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    const std::string text = read_file(path);
    auto parsed = parse_config(text, path.string());
    if (!parsed) return ctx.fail(parsed.error());
    key = parsed->config.webhook.apikey;
    if (key.empty()) {
      key = random_hex_key();
      auto updated = add_apikey(path, text, key);
      if (!updated) return ctx.fail(updated.error());
      if (auto ok = write_private_file(path, *updated, true); !ok) return ctx.fail(ok.error());
      created = true;
    }
  } else {
    key = random_hex_key();
    std::string text = example_config_yaml();
    const std::string empty = "apikey: ''";
    text.replace(text.find(empty), empty.size(), "apikey: '" + key + "'");
    if (auto ok = write_private_file(path, text, false); !ok) return ctx.fail(ok.error());
    created = true;
  }
  if (std::getenv("WS_WEBHOOK_APIKEY")) {
    ctx.warn("WS_WEBHOOK_APIKEY is set: it overrides the key in " + path.string());
  }
  // Printing the key is what this command is for (it is not a log line); the URLs carry it too,
  // since the media servers' webhook settings need them whole.
  const auto urls = webhook_urls(ctx, key, host_option);
  if (!ctx.json()) {
    *ctx.out << (created ? "created webhook.apikey in " : "kept the existing webhook.apikey in ") << path.string()
             << "\n"
             << key << "\n\nwebhook URLs (set them in each server's webhook settings):\n";
    for (const auto& u : urls)
      *ctx.out << "  " << (u.server.empty() ? "any " + u.type + " server" : u.server + " (" + u.type + ")") << ": "
               << u.url << "\n";
    *ctx.out << "\n";
  }
  auto keys = generate_keys(ctx);
  if (!keys) return ctx.fail(keys.error());
  if (ctx.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& u : urls) {
      nlohmann::json entry = {{"type", u.type}, {"url", u.url}};
      if (!u.server.empty()) entry["server"] = u.server;
      list.push_back(std::move(entry));
    }
    print_json(*ctx.out, {{"apikey", key},
                          {"created", created},
                          {"file", path.string()},
                          {"webhook_urls", list},
                          {"curve", *keys}});
  }
  return kExitOk;
}

}  // namespace

void register_config_commands(CLI::App& app, CliContext& ctx) {
  auto* dump = add_command(app, "config:dump", "Write an example servers.yaml or config.yaml (never over a file)");
  auto what = std::make_shared<std::string>();
  dump->add_option("what", *what, "Which file: servers or config")->required()->check(CLI::IsMember({"servers", "config"}));
  dump->callback([&ctx, what] { ctx.action = [&ctx, what] { return run_dump(ctx, *what); }; });

  auto* generate = add_command(app, "config:generate",
                               "Create webhook.apikey in config.yaml and the CURVE keys if missing, print the key "
                               "and each server's webhook URL");
  auto host = std::make_shared<std::string>();
  generate->add_option("--host", *host,
                       "host or address the media servers reach ingest at (default: webhook.listen's, or this machine's name)");
  auto keys_only = std::make_shared<bool>(false);
  generate->add_flag("--keys-only", *keys_only, "Only create the missing CURVE keys (config.yaml is left alone)");
  generate->callback([&ctx, host, keys_only] {
    ctx.action = [&ctx, host, keys_only] { return *keys_only ? run_generate_keys_only(ctx) : run_generate(ctx, *host); };
  });
}

}  // namespace ws
