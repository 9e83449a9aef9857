#include "ws/test_webhook.h"

#include <nlohmann/json.hpp>

namespace ws {
namespace {

constexpr const char* kBoundary = "watchstate-webhook-test";

std::string title_of(const MediaItem& item) { return item.title.empty() ? "webhook:test" : item.title; }

WebhookRequest plex(const ServerConfig& server, const MediaItem& item) {
  // A Plex server with no `user` takes only its owner's plays (DESIGN §8): send as the owner.
  const std::string account = !server.user.empty() ? server.user : (!server.owner_id.empty() ? server.owner_id : "1");
  nlohmann::json metadata = {{"ratingKey", item.item_id},
                             {"type", item.type == MediaType::episode ? "episode" : "movie"},
                             {"title", item.type == MediaType::episode && !item.episode_title.empty() ? item.episode_title
                                                                                                      : title_of(item)}};
  if (item.type == MediaType::episode) metadata["grandparentTitle"] = title_of(item);
  if (!item.library_id.empty()) metadata["librarySectionID"] = item.library_id;
  const nlohmann::json payload = {{"event", "media.scrobble"},
                                  {"user", true},
                                  {"owner", true},
                                  {"Account", {{"id", account}, {"title", "webhook:test"}}},
                                  {"Server", {{"title", server.name}, {"uuid", server.uuid}}},
                                  {"Player", {{"local", true}, {"title", "watchstate webhook:test"}}},
                                  {"Metadata", std::move(metadata)}};
  WebhookRequest r;
  r.content_type = std::string("multipart/form-data; boundary=") + kBoundary;
  r.body = std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"payload\"\r\n" +
           "Content-Type: application/json\r\n\r\n" + payload.dump() + "\r\n--" + kBoundary + "--\r\n";
  return r;
}

WebhookRequest jellyfin(const ServerConfig& server, const MediaItem& item) {
  nlohmann::json body = {{"NotificationType", "UserDataSaved"},
                         {"ServerId", server.uuid},
                         {"ServerName", server.name},
                         {"ItemId", item.item_id},
                         {"ItemType", item.type == MediaType::episode ? "Episode" : "Movie"},
                         {"Name", title_of(item)},
                         {"UserId", server.user},
                         {"NotificationUsername", "webhook:test"},
                         {"Played", true},
                         {"PlayCount", 1},
                         {"SaveReason", "PlaybackFinished"},
                         {"PlaybackPositionTicks", 0}};
  WebhookRequest r;
  r.content_type = "application/json";
  r.body = body.dump();
  return r;
}

WebhookRequest emby(const ServerConfig& server, const MediaItem& item) {
  nlohmann::json body = {
      {"Event", "playback.stop"},
      {"User", {{"Id", server.user}, {"Name", "webhook:test"}}},
      {"Item", {{"Id", item.item_id}, {"Type", item.type == MediaType::episode ? "Episode" : "Movie"}, {"Name", title_of(item)}}},
      {"Server", {{"Id", server.uuid}, {"Name", server.name}}},
      {"PlaybackInfo", {{"PositionTicks", 0}, {"PlayedToCompletion", true}}}};
  WebhookRequest r;
  r.content_type = "application/json";
  r.body = body.dump();
  return r;
}

}  // namespace

WebhookRequest test_webhook(const ServerConfig& server, const MediaItem& item) {
  switch (server.type) {
    case ServerType::plex: return plex(server, item);
    case ServerType::jellyfin: return jellyfin(server, item);
    case ServerType::emby: return emby(server, item);
  }
  return {};
}

}  // namespace ws
