// servers.yaml in the seed's shape (DESIGN §6). An early-preview WatchState file loads unchanged:
// `options.user`, `import/export.lastSync: null`, the per-server `webhook:` block and the seed's
// other options are accepted; keys nobody knows are warnings, never failures.
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "ws/config.h"
#include "ws/logging.h"
#include "ws/redact.h"
#include "ws/text.h"
#include "yaml_reader.h"

namespace ws {
namespace {

using yaml::Where;

// Seed options (config/servers.spec.php and the early previews) that load fine but that this
// program has no use for. Lowercase; matched case-insensitively.
const std::set<std::string> kIgnoredSeedOptions = {
    "admin_token",         "dump_payload",     "debug_trace",       "max_episode_range",
    "is_limited_token",    "plex_user_pin",    "plex_external_user", "plex_guest_user",
    "admin_plex_user_pin", "plex_user_uuid",   "alt_name",          "alt_id",
    "plex_user_name",      "use_old_progress_endpoint", "export_ignore", "library_segment_size",
    "ignore_libraries",
};
// The seed's DRY_RUN and DISABLE_MARK_UNPLAYED are read (ServerConfig::dry_run, mark_unplayed); its
// IMPORT_METADATA_ONLY has no equivalent here and is a warning when true.
const std::set<std::string> kIgnoredSeedClientOptions = {"http_version"};
const std::set<std::string> kIgnoredSeedWebhookKeys = {"ips", "uuid", "match"};

void warn_unknown(std::vector<ConfigWarning>& warnings, const Where& at) {
  warnings.push_back({at.prefix() + "unknown key, ignored"});
}

std::vector<std::string> split_ignore_list(const YAML::Node& node) {
  std::vector<std::string> out;
  auto add_part = [&out](std::string_view part) {
    std::string t(trim(part));
    if (!t.empty()) out.push_back(t);
  };
  if (node.IsSequence()) {
    for (const auto& item : node) {
      if (item.IsScalar()) add_part(item.Scalar());
    }
    return out;
  }
  const std::string text = node.Scalar();
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    add_part(std::string_view(text).substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

Result<Ok> read_sync_block(const YAML::Node& node, const Where& at, bool& enabled, int64_t& last_sync,
                           std::vector<ConfigWarning>& warnings) {
  if (node.IsNull()) return Ok{};
  if (!node.IsMap()) return yaml::invalid(at, "expected a map like { enabled: true }");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const Where here = at.child(kv.first, key);
    if (key == "enabled") {
      auto v = yaml::read_bool(kv.second, here);
      if (!v) return v.error();
      if (*v) enabled = **v;
    } else if (key == "lastSync") {
      auto v = yaml::read_int(kv.second, here, 0, INT64_MAX);
      if (!v) return v.error();
      last_sync = v->value_or(0);
    } else if (key == "playlist") {
      // The seed's playlist sync: nothing to do here, and not worth a warning.
    } else {
      warn_unknown(warnings, here);
    }
  }
  return Ok{};
}

Result<Ok> read_webhook_block(const YAML::Node& node, const Where& at, ServerConfig& server,
                              std::vector<ConfigWarning>& warnings) {
  if (node.IsNull()) return Ok{};
  if (!node.IsMap()) return yaml::invalid(at, "expected a map like { import: true, push: true }");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const Where here = at.child(kv.first, key);
    if (key == "token") {
      auto v = yaml::read_string(kv.second, here);
      if (!v) return v.error();
      server.webhook_token = v->value_or("");
    } else if (key == "import" || key == "push") {
      auto v = yaml::read_bool(kv.second, here);
      if (!v) return v.error();
      if (*v) (key == "import" ? server.webhook_import : server.webhook_push) = **v;
    } else if (!kIgnoredSeedWebhookKeys.count(key)) {
      warn_unknown(warnings, here);
    }
  }
  return Ok{};
}

Result<Ok> read_int_into(const YAML::Node& node, const Where& at, int64_t min, int64_t max, int& out) {
  auto v = yaml::read_int(node, at, min, max);
  if (!v) return v.error();
  if (*v) out = static_cast<int>(**v);
  return Ok{};
}

Result<Ok> read_client_block(const YAML::Node& node, const Where& at, ServerConfig& server,
                             std::vector<ConfigWarning>& warnings) {
  if (node.IsNull()) return Ok{};
  if (!node.IsMap()) return yaml::invalid(at, "expected a map like { timeout: 30 }");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const Where here = at.child(kv.first, key);
    if (key == "timeout") {
      if (auto ok = read_int_into(kv.second, here, 1, 3600, server.timeout_s); !ok) return ok;
    } else if (key == "connect_timeout") {
      if (auto ok = read_int_into(kv.second, here, 1, 600, server.connect_timeout_s); !ok) return ok;
    } else if (key == "verify_host" || key == "verify_tls") {
      auto v = yaml::read_bool(kv.second, here);
      if (!v) return v.error();
      if (*v) server.verify_tls = **v;
    } else if (!kIgnoredSeedClientOptions.count(ascii_lower(key))) {
      warn_unknown(warnings, here);
    }
  }
  return Ok{};
}

Result<Ok> read_options(const YAML::Node& node, const Where& at, ServerConfig& server, bool& user_from_options,
                        std::vector<ConfigWarning>& warnings) {
  if (node.IsNull()) return Ok{};
  if (!node.IsMap()) return yaml::invalid(at, "expected a map of options");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const Where here = at.child(kv.first, key);
    if (key == "user") {
      auto v = yaml::read_string(kv.second, here);
      if (!v) return v.error();
      // A top-level `user:` wins; the seed kept it here.
      if (*v && server.user.empty()) {
        server.user = **v;
        user_from_options = true;
      }
    } else if (key == "ignore") {
      if (kv.second.IsMap()) return yaml::invalid(here, "expected a comma-separated list like '3,7'");
      if (!kv.second.IsNull()) server.ignored_libraries = split_ignore_list(kv.second);
    } else if (key == "timeout") {
      if (auto ok = read_int_into(kv.second, here, 1, 3600, server.timeout_s); !ok) return ok;
    } else if (key == "connect_timeout") {
      if (auto ok = read_int_into(kv.second, here, 1, 600, server.connect_timeout_s); !ok) return ok;
    } else if (key == "verify_tls") {
      auto v = yaml::read_bool(kv.second, here);
      if (!v) return v.error();
      if (*v) server.verify_tls = **v;
    } else if (key == "page_size") {
      if (auto ok = read_int_into(kv.second, here, kPageSizeMin, kPageSizeMax, server.page_size); !ok) return ok;
    } else if (key == "LIBRARY_SEGMENT") {
      // WatchState allows larger segments; a server answers at most what it wants per page anyway.
      auto v = yaml::read_int(kv.second, here, kPageSizeMin, INT64_MAX);
      if (!v) return v.error();
      if (*v) {
        server.page_size = static_cast<int>(std::min<int64_t>(**v, kPageSizeMax));
        if (**v > kPageSizeMax) {
          warnings.push_back({here.prefix() + std::to_string(**v) + " is above the largest page here (" +
                              std::to_string(kPageSizeMax) + "): " + server.name + " is read " +
                              std::to_string(kPageSizeMax) + " items a page"});
        }
      }
    } else if (ascii_lower(key) == "dry_run" || ascii_lower(key) == "disable_mark_unplayed") {
      auto v = yaml::read_bool(kv.second, here);
      if (!v) return v.error();
      if (!*v) continue;
      if (ascii_lower(key) == "dry_run") {
        server.dry_run = **v;
      } else {
        server.mark_unplayed = !**v;
      }
    } else if (ascii_lower(key) == "import_metadata_only") {
      auto v = yaml::read_bool(kv.second, here);
      if (!v) return v.error();
      if (v->value_or(false)) {
        warnings.push_back({here.prefix() + "true has no effect on " + server.name +
                            " here: its watch state is imported like any other's; set import.enabled: false to "
                            "ignore it"});
      }
    } else if (key == "client") {
      if (auto ok = read_client_block(kv.second, here, server, warnings); !ok) return ok;
    } else if (!kIgnoredSeedOptions.count(ascii_lower(key))) {
      warn_unknown(warnings, here);
    }
  }
  return Ok{};
}

Result<Ok> read_required_text(const YAML::Node& node, const Where& at, std::string& out) {
  auto v = yaml::read_string(node, at);
  if (!v) return v.error();
  if (*v) out = **v;
  return Ok{};
}

Result<ServerConfig> read_server(const YAML::Node& key_node, const YAML::Node& node, const Where& file_at,
                                 std::vector<ConfigWarning>& warnings) {
  ServerConfig server;
  server.name = key_node.Scalar();
  const Where at = file_at.child(key_node, server.name);
  if (server.name.empty()) return yaml::invalid(at, "a server needs a name");
  if (!node.IsMap()) return yaml::invalid(at, "expected a map of settings (type, url, token, ...)");

  bool has_type = false;
  bool user_from_options = false;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const Where here = at.child(kv.first, key);
    if (key == "type") {
      auto v = yaml::read_string(kv.second, here);
      if (!v) return v.error();
      auto type = parse_server_type(v->value_or(""));
      if (!type) return yaml::invalid(here, "'" + v->value_or("") + "' is not one of plex, jellyfin, emby");
      server.type = *type;
      has_type = true;
    } else if (key == "url") {
      if (auto ok = read_required_text(kv.second, here, server.url); !ok) return ok.error();
      while (!server.url.empty() && server.url.back() == '/') server.url.pop_back();
      const std::string l = ascii_lower(server.url);
      if (l.rfind("http://", 0) != 0 && l.rfind("https://", 0) != 0) {
        return yaml::invalid(here, "'" + redact_url(server.url) + "' is not an http:// or https:// URL");
      }
    } else if (key == "token") {
      if (auto ok = read_required_text(kv.second, here, server.token); !ok) return ok.error();
    } else if (key == "uuid") {
      if (auto ok = read_required_text(kv.second, here, server.uuid); !ok) return ok.error();
    } else if (key == "owner_id") {
      if (auto ok = read_required_text(kv.second, here, server.owner_id); !ok) return ok.error();
    } else if (key == "user") {
      std::string user;
      if (auto ok = read_required_text(kv.second, here, user); !ok) return ok.error();
      if (!user.empty()) server.user = user;
    } else if (key == "import") {
      if (auto ok = read_sync_block(kv.second, here, server.import_enabled, server.import_last_sync, warnings); !ok)
        return ok.error();
    } else if (key == "export") {
      if (auto ok = read_sync_block(kv.second, here, server.export_enabled, server.export_last_sync, warnings); !ok)
        return ok.error();
    } else if (key == "webhook") {
      if (auto ok = read_webhook_block(kv.second, here, server, warnings); !ok) return ok.error();
    } else if (key == "options") {
      // Read after the top-level keys so a top-level `user:` wins wherever it is written.
    } else if (key == "name" || key == "persist") {
      // The seed's echo of the key, and its per-server scratch space: nothing for us.
    } else {
      warn_unknown(warnings, here);
    }
  }
  if (node["options"]) {
    for (const auto& kv : node) {
      if (kv.first.Scalar() != "options") continue;
      if (auto ok = read_options(kv.second, at.child(kv.first, "options"), server, user_from_options, warnings); !ok)
        return ok.error();
    }
  }
  if (!has_type) return yaml::invalid(at, "'type' is missing (one of plex, jellyfin, emby)");
  if (server.url.empty()) return yaml::invalid(at, "'url' is missing (e.g. http://192.168.1.10:32400)");
  if (server.token.empty()) warnings.push_back({at.prefix() + "'token' is empty: requests will be refused"});
  if (server.type != ServerType::plex && server.user.empty()) {
    warnings.push_back({at.prefix() + "'user' is empty: " + std::string(to_string(server.type)) +
                        " needs a user id (run servers:test)"});
  }
  return server;
}

std::optional<std::string> read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<ServersFile> parse_servers(std::string_view yaml_text, const std::string& file_name) {
  auto doc = yaml::parse_document(yaml_text, file_name);
  if (!doc) return doc.error();
  ServersFile out;
  const YAML::Node& root = *doc;
  if (root.IsNull()) return out;
  const Where file_at{file_name, yaml::line_of(root), ""};
  if (!root.IsMap()) return yaml::invalid(file_at, "expected a map of server names to their settings");
  std::set<std::string> seen;
  for (const auto& kv : root) {
    auto server = read_server(kv.first, kv.second, file_at, out.warnings);
    if (!server) return server.error();
    if (!seen.insert(server->name).second) {
      return yaml::invalid(file_at.child(kv.first, server->name), "the server name is used twice");
    }
    out.servers.push_back(std::move(server).value());
  }
  return out;
}

Result<ServersFile> load_servers(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return ServersFile{};
  auto text = read_text_file(file);
  if (!text) return make_error(ErrorKind::io, file.string() + ": cannot be read");
  auto parsed = parse_servers(*text, file.string());
  if (!parsed) return parsed;
  add_log_secrets(secrets_of(*parsed));
  if (auto exposed = exposed_file_warning(file)) parsed->warnings.insert(parsed->warnings.begin(), *exposed);
  return parsed;
}

}  // namespace ws
