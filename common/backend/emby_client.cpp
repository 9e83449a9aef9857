#include "emby_client.h"

#include "client_util.h"
#include "ws/iso_time.h"

namespace ws {

using backend_detail::Query;
using backend_detail::url_encode;

EmbyClient::EmbyClient(ServerConfig server, const BackendOptions& options)
    : MediaBrowserClient(server, options, {{"X-Emby-Token", server.token}}) {}

std::string EmbyClient::views_target() const { return "/Users/" + url_encode(server().user) + "/Views"; }

std::string EmbyClient::items_target(const std::string& library_id, std::string_view types, int64_t start,
                                     int64_t size) const {
  return "/Users/" + url_encode(server().user) + "/Items" +
         Query()
             .add("ParentId", library_id)
             .add("Recursive", "true")
             .add("IncludeItemTypes", types)
             .add("Fields", kMediaBrowserFields)
             .add("EnableUserData", "true")
             .add("EnableImages", "false")
             .add("SortBy", "DateCreated,SortName")
             .add("SortOrder", "Ascending")
             .add("StartIndex", start)
             .add("Limit", size)
             .str();
}

std::string EmbyClient::item_target(const std::string& item_id) const {
  return "/Users/" + url_encode(server().user) + "/Items/" + url_encode(item_id);
}

std::string EmbyClient::items_by_id_target(const std::string& ids, int64_t start) const {
  return "/Users/" + url_encode(server().user) + "/Items" +
         Query()
             .add("Ids", ids)
             .add("Fields", kMediaBrowserFields)
             .add("EnableUserData", "true")
             .add("EnableImages", "false")
             .add("StartIndex", start)
             .str();
}

HttpRequest EmbyClient::played_request(const std::string& item_id, std::optional<int64_t> played_at) const {
  std::string target = "/Users/" + url_encode(server().user) + "/PlayedItems/" + url_encode(item_id);
  if (played_at) target += Query().add("DatePlayed", iso_time::format_compact(*played_at)).str();
  return HttpRequest{played_at ? "POST" : "DELETE", std::move(target), {}, {}};
}

HttpRequest EmbyClient::progress_request(const std::string& item_id, int64_t position_ms) const {
  const nlohmann::json body = {{"PlaybackPositionTicks", iso_time::ticks_from_ms(position_ms)}};
  return HttpRequest{"POST", "/Users/" + url_encode(server().user) + "/Items/" + url_encode(item_id) + "/UserData",
                     {{"Content-Type", "application/json"}}, body.dump()};
}

}  // namespace ws
