#include "ws/config.h"
#include "ws/text.h"
#include "yaml_reader.h"

namespace ws {

std::string_view to_string(ServerType type) {
  switch (type) {
    case ServerType::plex: return "plex";
    case ServerType::jellyfin: return "jellyfin";
    case ServerType::emby: return "emby";
  }
  return "plex";
}

std::optional<ServerType> parse_server_type(std::string_view text) {
  // The seed lowercases the type before checking it, so "Plex" loads too.
  const std::string t = ascii_lower(trim(text));
  if (t == "plex") return ServerType::plex;
  if (t == "jellyfin") return ServerType::jellyfin;
  if (t == "emby") return ServerType::emby;
  return std::nullopt;
}

const ServerConfig* ServersFile::find(std::string_view name) const {
  for (const auto& server : servers) {
    if (server.name == name) return &server;
  }
  return nullptr;
}

std::vector<std::string> secrets_of(const ServersFile& file) {
  std::vector<std::string> out;
  for (const auto& server : file.servers) {
    if (!server.token.empty()) out.push_back(server.token);
    if (!server.webhook_token.empty()) out.push_back(server.webhook_token);
  }
  return out;
}

std::vector<std::string> secrets_of(const AppConfig& config) {
  std::vector<std::string> out;
  if (!config.webhook.apikey.empty()) out.push_back(config.webhook.apikey);
  return out;
}

}  // namespace ws
