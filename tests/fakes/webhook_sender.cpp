#include "webhook_sender.h"

#include <cstdio>

#include "fake_hash.h"
#include "fake_time.h"
#include "mb_render.h"
#include "plex_render.h"

namespace ws::fake {
namespace {

// SOI, a JFIF APP0 segment, EOI: shaped like the JPEG thumbnail Plex attaches (receivers only
// need to recognise and skip it).
const std::string& thumb_jpeg() {
  static const std::string kJpeg = [] {
    const unsigned char bytes[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J',  'F',  'I',  'F',  0x00,
                                   0x01, 0x01, 0x00, 0x00, 0x48, 0x00, 0x48, 0x00, 0x00, 0xFF, 0xD9};
    return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
  }();
  return kJpeg;
}

std::string boundary(uint64_t seed) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "------------------------%016llx", static_cast<unsigned long long>(mix64(seed)));
  return buf;
}

std::string hms(int64_t ms) {
  char buf[32];
  const int64_t s = ms / 1000;
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

// 16 hex digits standing for a plex.tv user's avatar key.
std::string hex_of(const std::string& account) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(mix64(hash_str(account))));
  return buf;
}

std::string two(int n, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*d", width, n);
  return buf;
}

// Playback at the event: the caller's fields, else what the item's last act implies.
struct Playback {
  int64_t position_ms = 0;
  bool completed = false;
};

bool past_90_percent(const Entry& e, int64_t position_ms) {
  return e.duration_ms > 0 && position_ms * 10 >= e.duration_ms * 9;
}

Playback playback_of(const WebhookRequest& rq, const Entry& e, const ItemState& s) {
  Playback p{s.position_ms, s.watched};
  switch (s.last_act) {
    case Act::play:  // watched to the end: stopped in the credits
      p = {e.duration_ms * 95 / 100, true};
      break;
    case Act::progress: p.completed = past_90_percent(e, s.position_ms); break;
    case Act::unplay: p.completed = false; break;
    case Act::none:
    case Act::add: break;
  }
  if (rq.position_ms) {
    p.position_ms = *rq.position_ms;
    p.completed = past_90_percent(e, p.position_ms);
  }
  if (rq.played_to_completion) p.completed = *rq.played_to_completion;
  return p;
}

std::string user_id_of(const FakeServer& srv, const WebhookRequest& rq) {
  return rq.account_id.value_or(srv.options().user_id);
}
std::string user_name_of(const WebhookRequest& rq) { return rq.account_title.value_or("fakeuser"); }

WebhookPayload plex_webhook(FakeServer& srv, const WebhookRequest& rq, const Entry& e) {
  std::string json;
  JsonWriter w(json);
  const auto& o = srv.options();
  const std::string account = user_id_of(srv, rq);
  w.begin_object();
  w.kv("event", rq.event);
  // Sent to the owner's webhook: "user" says whether the event is the owner's own.
  w.kv("user", account == o.user_id);
  w.kv("owner", true);
  w.key("Account").begin_object();
  w.kv("id", int64_t(std::atoll(account.c_str())));
  w.kv("thumb", "https://plex.tv/users/" + hex_of(account) + "/avatar?c=1693688538");
  w.kv("title", user_name_of(rq));
  w.end_object();
  w.key("Server").begin_object().kv("title", o.name).kv("uuid", o.server_id).end_object();
  if (rq.event.starts_with("media.")) {
    w.key("Player").begin_object();
    w.kv("local", true);
    w.kv("publicAddress", "203.0.113.7");
    w.kv("title", "Plex Web (Chrome)");
    w.kv("uuid", o.server_id.substr(0, 24));
    w.end_object();
  }
  std::string metadata;
  {
    PlexWriter pw(metadata, true, false);
    PlexItemOptions po;
    po.guids = true;
    po.detail = true;
    po.webhook = true;
    po.view_offset = rq.position_ms;
    auto lock = srv.state().read_lock();
    plex_item(pw, srv.catalog(), srv.state(), e, po);
  }
  w.key("Metadata").raw(metadata);
  w.end_object();

  const std::string b = boundary(e.index ^ 0x91e);
  std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n" + json + "\r\n";
  if (rq.event == "media.play" || rq.event == "media.rate" || rq.event == "library.new" ||
      rq.event == "media.resume") {
    body += "--" + b + "\r\nContent-Disposition: form-data; name=\"thumb\"; filename=\"image.jpg\"\r\n" +
            "Content-Type: image/jpeg\r\n\r\n" + thumb_jpeg() + "\r\n";
  }
  body += "--" + b + "--\r\n";
  return WebhookPayload{"multipart/form-data; boundary=" + b, "PlexMediaServer/1.40.2.8395-c67dce28e",
                        std::move(body)};
}

WebhookPayload jellyfin_webhook(FakeServer& srv, const WebhookRequest& rq, const Entry& e) {
  const auto& o = srv.options();
  const Catalog& c = srv.catalog();
  const ItemState s = srv.state().get(e.index);
  const Playback playback = playback_of(rq, e, s);
  const int64_t now = now_ticks();
  std::string json;
  JsonWriter w(json);
  w.begin_object();
  w.kv("ServerId", o.server_id);
  w.kv("ServerName", o.name);
  w.kv("ServerVersion", "10.11.8");
  w.kv("ServerUrl", srv.base_url());
  w.kv("NotificationType", rq.event);
  w.kv("Timestamp", iso_ticks(now).substr(0, 27) + "+00:00");
  w.kv("UtcTimestamp", iso_ticks(now));
  w.kv("Name", e.title);
  w.kv_null("Overview");
  w.kv("Tagline", "");
  w.kv("ItemId", e.id);
  w.kv("ItemType", mb_type_name(e.kind));
  w.kv("RunTimeTicks", e.duration_ms * kTicksPerMs);
  w.kv("RunTime", hms(e.duration_ms));
  w.kv("Year", int64_t(e.year));
  if (e.kind == EntryKind::episode) {
    const Entry& show = c.at(uint32_t(e.show));
    w.kv("SeriesName", show.title);
    w.kv("SeriesId", show.id);
    w.kv("SeriesPremiereDate", iso_ticks(show.premiere * kTicksPerSecond));
    w.kv("SeasonId", c.at(uint32_t(e.parent)).id);
    w.kv("SeasonNumber", int64_t(e.season));
    w.kv("SeasonNumber00", two(e.season, 2));
    w.kv("SeasonNumber000", two(e.season, 3));
    w.kv("EpisodeNumber", int64_t(e.episode));
    w.kv("EpisodeNumber00", two(e.episode, 2));
    w.kv("EpisodeNumber000", two(e.episode, 3));
    if (e.episode_end) {
      w.kv("EpisodeNumberEnd", int64_t(e.episode_end));
      w.kv("EpisodeNumberEnd00", two(e.episode_end, 2));
      w.kv("EpisodeNumberEnd000", two(e.episode_end, 3));
    }
  }
  // The item's own ids only, lowercase source: episodes often have none.
  if (e.ids.tmdb) w.kv("Provider_tmdb", std::to_string(e.ids.tmdb));
  if (e.ids.imdb) w.kv("Provider_imdb", imdb_string(e.ids.imdb));
  if (e.ids.tvdb) w.kv("Provider_tvdb", std::to_string(e.ids.tvdb));
  if (e.ids.anidb) w.kv("Provider_anidb", std::to_string(e.ids.anidb));
  // Stream noise, as "Send All Properties" sends it.
  w.kv("Video_0_Title", "1080p H264 SDR");
  w.kv("Video_0_Type", "Video");
  w.kv("Video_0_Language", "und");
  w.kv("Video_0_Codec", "h264");
  w.kv("Video_0_Profile", "High");
  w.kv("Video_0_Level", int64_t(41));
  w.kv("Video_0_Height", int64_t(1080));
  w.kv("Video_0_Width", int64_t(1920));
  w.kv("Video_0_AspectRatio", "16:9");
  w.kv("Video_0_Interlaced", false);
  w.kv("Video_0_FrameRate", 23.976);
  w.kv("Video_0_VideoRange", "SDR");
  w.kv_null("Video_0_ColorSpace");
  w.kv("Audio_0_Title", "English - Dolby Digital+ - 5.1 - Default");
  w.kv("Audio_0_Type", "Audio");
  w.kv("Audio_0_Language", "eng");
  w.kv("Audio_0_Codec", "eac3");
  w.kv("Audio_0_Channels", int64_t(6));
  w.kv("Audio_0_Bitrate", int64_t(640000));
  w.kv("Audio_0_SampleRate", int64_t(48000));
  w.kv("Audio_0_Default", true);
  if (rq.event != "ItemAdded") {
    w.kv("UserId", user_id_of(srv, rq));
    w.kv("NotificationUsername", user_name_of(rq));
  }
  if (rq.event.starts_with("Playback")) {
    w.kv("PlaybackPositionTicks", playback.position_ms * kTicksPerMs);
    w.kv("PlaybackPosition", hms(playback.position_ms));
    w.kv("MediaSourceId", e.id);
    w.kv("IsPaused", false);
    w.kv("IsAutomated", false);
    w.kv("DeviceId", "TW96aWxsYS81LjAgKFgxMTsgTGludXggeDg2XzY0KQ11");
    w.kv("DeviceName", "Firefox");
    w.kv("ClientName", "Jellyfin Web");
    if (rq.event == "PlaybackStop") w.kv("PlayedToCompletion", playback.completed);
  }
  if (rq.event == "UserDataSaved") {
    w.kv("Played", s.watched);
    w.kv("PlayCount", int64_t(s.play_count));
    w.kv("IsFavorite", false);
    w.kv_null("Likes");
    w.kv("PlaybackPositionTicks", s.position_ms * kTicksPerMs);
    if (s.last_played) {
      w.kv("LastPlayedDate", iso_ticks(s.last_played));
    } else {
      w.kv_null("LastPlayedDate");
    }
    std::string reason = rq.save_reason;
    if (reason.empty()) reason = s.last_act == Act::progress ? "PlaybackProgress" : "TogglePlayed";
    w.kv("SaveReason", reason);
  }
  w.end_object();
  return WebhookPayload{"text/plain; charset=utf-8", "Jellyfin-Server/10.11.8", std::move(json)};
}

WebhookPayload emby_webhook(FakeServer& srv, const WebhookRequest& rq, const Entry& e) {
  const auto& o = srv.options();
  const ItemState s = srv.state().get(e.index);
  std::string json;
  JsonWriter w(json);
  w.begin_object();
  const bool playback = rq.event.starts_with("playback.");
  std::string title = user_name_of(rq);
  if (rq.event == "item.markplayed") title += " marked " + e.title + " as played";
  else if (rq.event == "item.markunplayed") title += " marked " + e.title + " as unplayed";
  else if (rq.event == "library.new") title = e.title + " has been added to " + o.name;
  else if (playback) title += " is playing " + e.title;
  w.kv("Title", title);
  w.kv("Date", iso_ticks(now_ticks()));
  w.kv("Event", rq.event);
  w.kv("Severity", "Info");
  if (rq.event != "library.new") {
    w.key("User").begin_object().kv("Name", user_name_of(rq)).kv("Id", user_id_of(srv, rq)).end_object();
  }
  w.key("Item");
  {
    auto lock = srv.state().read_lock();
    mb_item(w, MbContext{srv.catalog(), srv.state(), o}, e, rq.event != "library.new");
  }
  w.key("Server").begin_object().kv("Name", o.name).kv("Id", o.server_id).kv("Version", "4.8.10.0").end_object();
  if (playback) {
    w.key("Session").begin_object().kv("RemoteEndPoint", "127.0.0.1").kv("Client", "Emby Web");
    w.kv("DeviceName", "Firefox").kv("DeviceId", "c1b2e3d4").kv("ApplicationVersion", "4.8.10.0");
    w.kv("Id", "4f1e9a0b2c3d4e5f60718293a4b5c6d7").end_object();
    const Playback p = playback_of(rq, e, s);
    w.key("PlaybackInfo").begin_object();
    if (rq.event == "playback.stop") w.kv("PlayedToCompletion", p.completed);
    w.kv("PositionTicks", p.position_ms * kTicksPerMs);
    w.kv("PlaylistIndex", int64_t(0)).kv("PlaylistLength", int64_t(1));
    w.kv("PlaySessionId", "8e7c6b5a4d3c2b1a0f9e8d7c6b5a4d3c").end_object();
  }
  w.end_object();
  WebhookPayload p;
  p.user_agent = "Emby Server/4.8.10.0";
  if (rq.framing == "json") {
    p.content_type = "application/json";
    p.body = std::move(json);
  } else {
    const std::string b = boundary(e.index ^ 0xe3b);
    p.content_type = "multipart/form-data; boundary=" + b;
    p.body = "--" + b + "\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n" + json + "\r\n--" + b + "--\r\n";
  }
  return p;
}

}  // namespace

Result<WebhookPayload> build_webhook(FakeServer& srv, const WebhookRequest& rq) {
  const Entry* e = srv.catalog().find(rq.item);
  if (!e) return make_error(ErrorKind::not_found, "no item with id '" + rq.item + "' on this fake");
  if (rq.event.empty()) return make_error(ErrorKind::invalid_input, "\"event\" is required");
  if (srv.type() == ServerType::plex && rq.account_id &&
      (rq.account_id->empty() || rq.account_id->find_first_not_of("0123456789") != std::string::npos)) {
    return make_error(ErrorKind::invalid_input, "\"account_id\" of a Plex account is a number");
  }
  if (!rq.framing.empty() && rq.framing != "json" && rq.framing != "multipart") {
    return make_error(ErrorKind::invalid_input, "\"framing\" must be \"json\" or \"multipart\"");
  }
  switch (srv.type()) {
    case ServerType::plex: return plex_webhook(srv, rq, *e);
    case ServerType::jellyfin: return jellyfin_webhook(srv, rq, *e);
    case ServerType::emby: return emby_webhook(srv, rq, *e);
  }
  return make_error(ErrorKind::invalid_input, "unknown server type");
}

Result<WebhookResult> post_webhook(const std::string& url, const WebhookPayload& payload, int read_timeout_s) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos || (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0)) {
    return make_error(ErrorKind::invalid_input, "\"url\" must be http://host:port/path");
  }
  const size_t slash = url.find('/', scheme + 3);
  const std::string base = url.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  httplib::Client client(base);
  client.set_connection_timeout(5);
  client.set_read_timeout(read_timeout_s);
  httplib::Headers headers{{"User-Agent", payload.user_agent}};
  auto res = client.Post(path, headers, payload.body, payload.content_type);
  if (!res) {
    return make_error(ErrorKind::unavailable,
                      "webhook to " + base + " got no answer: " + httplib::to_string(res.error()));
  }
  WebhookResult out;
  out.status = res->status;
  out.body = res->body.substr(0, 1000);
  return out;
}

}  // namespace ws::fake
