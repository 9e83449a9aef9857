#include "jellyfin_client.h"

#include "client_util.h"
#include "ws/iso_time.h"

namespace ws {

using backend_detail::Query;
using backend_detail::url_encode;

namespace {

// Jellyfin's documented auth: one Authorization header carrying the client's description and the
// token (the legacy X-Emby-Token is off by default from 12.0).
std::string authorization(const ServerConfig& server, const BackendOptions& options) {
  auto quoted = [](std::string_view v) {
    std::string out;
    for (char c : v)
      if (c != '"' && c != '\\') out += c;
    return "\"" + out + "\"";
  };
  return "MediaBrowser Client=" + quoted(options.product) + ", Device=" + quoted(options.product) +
         ", DeviceId=" + quoted(options.client_identifier) + ", Version=" + quoted(options.version) +
         ", Token=" + quoted(server.token);
}

}  // namespace

JellyfinClient::JellyfinClient(ServerConfig server, const BackendOptions& options)
    : MediaBrowserClient(server, options, {{"Authorization", authorization(server, options)}}) {}

std::string JellyfinClient::views_target() const { return "/UserViews" + Query().add("userId", server().user).str(); }

std::string JellyfinClient::items_target(const std::string& library_id, std::string_view types, int64_t start,
                                         int64_t size) const {
  return "/Items" + Query()
                        .add("userId", server().user)
                        .add("parentId", library_id)
                        .add("recursive", "true")
                        .add("includeItemTypes", types)
                        .add("fields", kMediaBrowserFields)
                        .add("enableUserData", "true")
                        .add("enableImages", "false")
                        .add("sortBy", "DateCreated,SortName")
                        .add("sortOrder", "Ascending")
                        .add("startIndex", start)
                        .add("limit", size)
                        .str();
}

std::string JellyfinClient::item_target(const std::string& item_id) const {
  return "/Items/" + url_encode(item_id) + Query().add("userId", server().user).str();
}

std::string JellyfinClient::items_by_id_target(const std::string& ids, int64_t start) const {
  return "/Items" + Query()
                        .add("userId", server().user)
                        .add("ids", ids)
                        .add("fields", kMediaBrowserFields)
                        .add("enableUserData", "true")
                        .add("enableImages", "false")
                        .add("startIndex", start)
                        .str();
}

HttpRequest JellyfinClient::played_request(const std::string& item_id, std::optional<int64_t> played_at) const {
  Query query;
  query.add("userId", server().user);
  if (played_at) query.add("datePlayed", iso_time::format(*played_at));
  return HttpRequest{played_at ? "POST" : "DELETE", "/UserPlayedItems/" + url_encode(item_id) + query.str(), {}, {}};
}

HttpRequest JellyfinClient::progress_request(const std::string& item_id, int64_t position_ms) const {
  const nlohmann::json body = {{"PlaybackPositionTicks", iso_time::ticks_from_ms(position_ms)}};
  return HttpRequest{"POST", "/UserItems/" + url_encode(item_id) + "/UserData" + Query().add("userId", server().user).str(),
                     {{"Content-Type", "application/json"}}, body.dump()};
}

}  // namespace ws
