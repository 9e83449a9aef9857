// Writing servers.yaml back (servers:test records `uuid`). The existing file's tree is updated
// in place so keys this program does not model (the seed's webhook.ips, persist, options it
// ignores) survive a save; comments do not (yaml-cpp drops them).
#include <fstream>
#include <sstream>

#include "ws/config.h"
#include "yaml_reader.h"

namespace ws {
namespace {

YAML::Node child_map(YAML::Node parent, const char* key) {
  if (!parent[key] || !parent[key].IsMap()) parent[key] = YAML::Node(YAML::NodeType::Map);
  return parent[key];
}

// Sets `key` when it already exists or the value is worth writing; keeps the file small.
void set_text(YAML::Node node, const char* key, const std::string& value) {
  if (!value.empty() || node[key]) node[key] = value;
}

void set_last_sync(YAML::Node block, int64_t last_sync) {
  if (last_sync > 0) {
    block["lastSync"] = last_sync;
  } else {
    block["lastSync"] = YAML::Node(YAML::NodeType::Null);
  }
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

void update_server(YAML::Node node, const ServerConfig& s) {
  const ServerConfig defaults;
  node["type"] = std::string(to_string(s.type));
  node["url"] = s.url;
  node["token"] = s.token;
  set_text(node, "uuid", s.uuid);
  set_text(node, "owner_id", s.owner_id);
  const bool user_in_options = !node["user"] && node["options"] && node["options"].IsMap() && node["options"]["user"];
  if (user_in_options) {
    node["options"]["user"] = s.user;
  } else {
    set_text(node, "user", s.user);
  }
  YAML::Node import_block = child_map(node, "import");
  import_block["enabled"] = s.import_enabled;
  set_last_sync(import_block, s.import_last_sync);
  YAML::Node export_block = child_map(node, "export");
  export_block["enabled"] = s.export_enabled;
  set_last_sync(export_block, s.export_last_sync);

  const bool has_webhook = node["webhook"] && node["webhook"].IsMap();
  if (has_webhook || !s.webhook_token.empty() || !s.webhook_import || !s.webhook_push) {
    YAML::Node webhook = child_map(node, "webhook");
    set_text(webhook, "token", s.webhook_token);
    if (webhook["import"] || !s.webhook_import) webhook["import"] = s.webhook_import;
    if (webhook["push"] || !s.webhook_push) webhook["push"] = s.webhook_push;
  }

  const bool has_options = node["options"] && node["options"].IsMap();
  const bool needs_options = !s.ignored_libraries.empty() || s.timeout_s != defaults.timeout_s ||
                             s.connect_timeout_s != defaults.connect_timeout_s || s.verify_tls != defaults.verify_tls ||
                             s.page_size != defaults.page_size;
  if (!has_options && !needs_options) return;
  YAML::Node options = child_map(node, "options");
  set_text(options, "ignore", join(s.ignored_libraries));
  // The seed's spellings are updated where the file uses them.
  YAML::Node client = options["client"];
  const bool seed_client = client && client.IsMap();
  if (seed_client && client["timeout"]) {
    client["timeout"] = s.timeout_s;
  } else if (options["timeout"] || s.timeout_s != defaults.timeout_s) {
    options["timeout"] = s.timeout_s;
  }
  if (options["connect_timeout"] || s.connect_timeout_s != defaults.connect_timeout_s) {
    options["connect_timeout"] = s.connect_timeout_s;
  }
  if (seed_client && client["verify_host"]) {
    client["verify_host"] = s.verify_tls;
  } else if (options["verify_tls"] || s.verify_tls != defaults.verify_tls) {
    options["verify_tls"] = s.verify_tls;
  }
  if (options["LIBRARY_SEGMENT"]) {
    options["LIBRARY_SEGMENT"] = s.page_size;
  } else if (options["page_size"] || s.page_size != defaults.page_size) {
    options["page_size"] = s.page_size;
  }
}

}  // namespace

Result<Ok> save_servers(const std::filesystem::path& file, const ServersFile& servers) {
  YAML::Node root(YAML::NodeType::Map);
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto doc = yaml::parse_document(text.str(), file.string());
    if (!doc) return doc.error();
    if (doc->IsMap()) root = *doc;
  }
  std::vector<std::string> stale;
  for (const auto& kv : root) {
    if (!servers.find(kv.first.Scalar())) stale.push_back(kv.first.Scalar());
  }
  for (const auto& name : stale) root.remove(name);
  for (const auto& server : servers.servers) {
    if (!root[server.name] || !root[server.name].IsMap()) root[server.name] = YAML::Node(YAML::NodeType::Map);
    update_server(root[server.name], server);
  }
  YAML::Emitter out;
  out << root;
  if (!out.good()) return make_error(ErrorKind::io, file.string() + ": cannot encode YAML: " + out.GetLastError());
  return write_private_file(file, std::string(out.c_str()) + "\n", true);
}

}  // namespace ws
