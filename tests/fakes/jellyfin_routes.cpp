// Jellyfin (10.11) and Emby (4.8) routes: they share MediaBrowser's API, so one file serves both;
// what differs is keyed on the server type (Jellyfin's /UserViews, /UserPlayedItems and
// /UserItems routes; Emby's QueryResult without StartIndex). Routes and query names match
// without regard to case, and the router takes /emby/-prefixed paths on Emby.
#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "fake_server.h"
#include "fake_time.h"
#include "mb_render.h"
#include "webhook_echo.h"
#include "webhook_sender.h"

namespace ws::fake {
namespace {

constexpr const char* kJellyfinVersion = "10.11.8";
constexpr const char* kEmbyVersion = "4.8.10.0";

MbContext ctx(FakeServer& srv) { return MbContext{srv.catalog(), srv.state(), srv.options()}; }

bool truthy(const std::string& v) { return iequals(v, "true") || v == "1"; }

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= v.size()) {
    size_t j = v.find(',', i);
    if (j == std::string::npos) j = v.size();
    if (j > i) out.push_back(v.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::optional<int64_t> to_int(const std::string& s) {
  if (s.empty()) return std::nullopt;
  try {
    size_t used = 0;
    const long long v = std::stoll(s, &used);
    if (used != s.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

// The user a request acts for: the path's {userId} or the userId query parameter.
// Returns false (and answers) when a user is named but unknown.
bool check_user(FakeServer& srv, const std::string& user, httplib::Response& res) {
  if (!user.empty() && !iequals(user, srv.options().user_id)) {
    srv.send_error(res, 404);
    return false;
  }
  return true;
}

void user_json(JsonWriter& w, FakeServer& srv) {
  w.begin_object();
  w.kv("Name", "fakeuser");
  w.kv("ServerId", srv.options().server_id);
  w.kv("Id", srv.options().user_id);
  w.kv("HasPassword", true);
  w.kv("HasConfiguredPassword", true);
  w.kv("HasConfiguredEasyPassword", false);
  w.kv("EnableAutoLogin", false);
  w.kv("LastLoginDate", "2025-05-30T18:02:11.5130000Z");
  w.kv("LastActivityDate", "2025-05-31T20:44:09.1180000Z");
  w.key("Configuration").begin_object().kv("PlayDefaultAudioTrack", true).kv("DisplayMissingEpisodes", false);
  w.kv("HidePlayedInLatest", true).kv("EnableNextEpisodeAutoPlay", true).end_object();
  w.key("Policy").begin_object().kv("IsAdministrator", true).kv("IsHidden", false).kv("IsDisabled", false);
  w.kv("EnableAllFolders", true).kv("EnableContentDeletion", false).end_object();
  w.end_object();
}

void system_info(FakeServer& srv, httplib::Response& res, bool full) {
  const auto& o = srv.options();
  const bool emby = o.type == ServerType::emby;
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.kv("LocalAddress", srv.base_url());
  w.kv("ServerName", o.name);
  w.kv("Version", emby ? kEmbyVersion : kJellyfinVersion);
  if (!emby) w.kv("ProductName", "Jellyfin Server");
  w.kv("OperatingSystem", "Linux");
  w.kv("Id", o.server_id);
  if (!emby) w.kv("StartupWizardCompleted", true);
  if (full) {
    w.kv("OperatingSystemDisplayName", "Linux");
    w.kv("HasPendingRestart", false);
    w.kv("IsShuttingDown", false);
    w.kv("SupportsLibraryMonitor", true);
    w.kv("WebSocketPortNumber", int64_t(srv.port()));
    w.kv("CanSelfRestart", true);
    w.kv("CanLaunchWebBrowser", false);
    w.kv("ProgramDataPath", "/config");
    w.kv("CachePath", "/cache");
    w.kv("LogPath", "/config/log");
    w.kv("HasUpdateAvailable", false);
    if (emby) {
      w.kv("SystemUpdateLevel", "Release");
      w.kv("HttpServerPortNumber", int64_t(srv.port()));
      w.kv("SupportsHttps", false);
      w.kv("HttpsPortNumber", int64_t(8920));
      w.key("LocalAddresses").begin_array().value(srv.base_url()).end_array();
      w.key("RemoteAddresses").begin_array().end_array();
    } else {
      w.key("CompletedInstallations").begin_array().end_array();
      w.key("CastReceiverApplications").begin_array().end_array();
      w.kv("EncoderLocation", "System");
      w.kv("SystemArchitecture", "X64");
    }
  }
  w.end_object();
  srv.send_json(res, std::move(out));
}

// One library view: a CollectionFolder (movies or tvshows). REQUIRES: the state's read lock.
void view_item(JsonWriter& w, FakeServer& srv, int lib) {
  const Catalog& c = srv.catalog();
  const bool emby = srv.type() == ServerType::emby;
  {
    w.begin_object();
    w.kv("Name", lib == 1 ? "Movies" : "Shows");
    w.kv("ServerId", srv.options().server_id);
    w.kv("Id", c.library_id(lib));
    w.kv("Etag", c.library_uuid(lib).substr(0, 8) + c.library_uuid(lib).substr(24, 12) + "0a0b0c0d0e0f");
    w.kv("DateCreated", "2019-03-02T10:11:12.0000000Z");
    w.kv("CanDelete", false);
    w.kv("CanDownload", false);
    w.kv("SortName", lib == 1 ? "movies" : "shows");
    w.key("ExternalUrls").begin_array().end_array();
    w.kv("Path", lib == 1 ? "/config/root/default/Movies" : "/config/root/default/Shows");
    w.kv("EnableMediaSourceDisplay", true);
    w.key("Taglines").begin_array().end_array();
    w.key("Genres").begin_array().end_array();
    w.kv("PlayAccess", "Full");
    w.key("RemoteTrailers").begin_array().end_array();
    w.key("ProviderIds").begin_object().end_object();
    w.kv("IsFolder", true);
    w.kv("ParentId", emby ? std::string("2") : std::string("e9d5075a555c1cbc394eec4cef295274"));
    w.kv("Type", "CollectionFolder");
    w.kv("CollectionType", lib == 1 ? "movies" : "tvshows");
    w.kv("ChildCount", int64_t(srv.state().present_of(lib == 1 ? c.movies() : c.shows()).size()));
    w.kv("LocationType", "FileSystem");
    w.kv("MediaType", "Unknown");
    w.end_object();
  }
}

void views(FakeServer& srv, httplib::Response& res) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("Items").begin_array();
  {
    auto lock = srv.state().read_lock();
    for (int lib = 1; lib <= 2; ++lib) view_item(w, srv, lib);
  }
  w.end_array().kv("TotalRecordCount", int64_t(2));
  if (srv.type() == ServerType::jellyfin) w.kv("StartIndex", int64_t(0));
  w.end_object();
  srv.send_json(res, std::move(out));
}

// Library views stand in the candidate lists of items() as these pseudo entry indices.
constexpr uint32_t kViewMovies = UINT32_MAX - 1, kViewShows = UINT32_MAX;

// GET /Items and /Users/{uid}/Items: one pass over the candidates, counting all that match and
// rendering only the requested window, so a page of a 70,000-item library costs one page.
// Without ids, parentId or recursive=true the folder asked is the (user's) root: its children are
// the library views, as on the real servers.
void items(FakeServer& srv, const httplib::Request& req, httplib::Response& res, const std::string& path_user) {
  const std::string user = path_user.empty() ? srv.param(req, "userId") : path_user;
  if (!check_user(srv, user, res)) return;
  const Catalog& c = srv.catalog();
  const bool recursive = truthy(srv.param(req, "recursive"));

  static const std::vector<uint32_t> kRootViews = {kViewMovies, kViewShows};
  std::vector<uint32_t> picked;  // for ids= and parent folders
  const std::vector<uint32_t>* list = nullptr;
  uint32_t range_from = 0, range_to = uint32_t(c.entries().size());
  const std::string ids = srv.param(req, "ids");
  const std::string parent = srv.param(req, "parentId");
  if (ids.empty() && parent.empty() && !recursive) {
    list = &kRootViews;
  } else if (!ids.empty()) {
    for (const std::string& id : split_list(ids)) {
      if (const Entry* e = c.find(id)) picked.push_back(e->index);
    }
    list = &picked;
  } else if (!parent.empty()) {
    const int lib = c.library_of(parent);
    if (lib == 1) {
      list = &c.movies();
    } else if (lib == 2) {
      if (recursive) {
        range_from = uint32_t(c.movies().size());  // shows, seasons and episodes follow the movies
      } else {
        list = &c.shows();
      }
    } else if (const Entry* e = c.find(parent); e && (e->kind == EntryKind::show || e->kind == EntryKind::season)) {
      for (uint32_t child : c.children_of(e->index)) {
        picked.push_back(child);
        if (recursive && e->kind == EntryKind::show) {
          for (uint32_t ep : c.children_of(child)) picked.push_back(ep);
        }
      }
      list = &picked;
    } else {
      list = &picked;  // unknown parent: nothing
    }
  }

  constexpr uint8_t kViewBit = 1 << 7;
  uint8_t include = 0, exclude = 0;  // bit per EntryKind; kViewBit for CollectionFolder
  auto kinds = [](const std::string& v) {
    uint8_t bits = 0;
    for (const std::string& t : split_list(v)) {
      if (iequals(t, "Movie")) bits |= 1 << int(EntryKind::movie);
      if (iequals(t, "Series")) bits |= 1 << int(EntryKind::show);
      if (iequals(t, "Season")) bits |= 1 << int(EntryKind::season);
      if (iequals(t, "Episode")) bits |= 1 << int(EntryKind::episode);
      if (iequals(t, "CollectionFolder")) bits |= kViewBit;
    }
    return bits;
  };
  const std::string include_text = srv.param(req, "includeItemTypes");
  include = include_text.empty() ? 0xff : kinds(include_text);
  exclude = kinds(srv.param(req, "excludeItemTypes"));
  const std::string played_text = srv.param(req, "isPlayed");
  const int is_played = played_text.empty() ? -1 : truthy(played_text) ? 1 : 0;  // -1: no filter
  // Change filters (docs/configuration.md "Incremental import"). MinDateLastSaved compares the
  // item's DateLastSaved: a metadata save (here: when the item was added), never a user-data
  // write. MinDateLastSavedForUser compares the same column on Jellyfin (BaseItemRepository
  // v10.11.8, jellyfin#17542) and the user's data save time on Emby (its Kodi add-on relies on it
  // for "userdata updates"; whether a new item with no user data matches is not established:
  // here it does not).
  std::optional<int64_t> min_saved, min_saved_for_user;
  const std::pair<const char*, std::optional<int64_t>*> filters[] = {{"MinDateLastSaved", &min_saved},
                                                                      {"MinDateLastSavedForUser", &min_saved_for_user}};
  for (auto [name, out] : filters) {
    const std::string v = srv.param(req, name);
    if (v.empty()) continue;
    *out = parse_date_ticks(v);
    if (!*out) return srv.send_error(res, 400);
  }
  const bool user_data_filter = srv.type() == ServerType::emby;
  if (!user_data_filter && min_saved_for_user) {
    min_saved = std::max(min_saved.value_or(INT64_MIN), *min_saved_for_user);
    min_saved_for_user.reset();
  }
  const bool date_filtered = min_saved || min_saved_for_user;
  const int64_t start = std::max<int64_t>(0, to_int(srv.param(req, "startIndex")).value_or(0));
  std::optional<int64_t> limit = to_int(srv.param(req, "limit"));
  if (limit && *limit < 0) limit = 0;
  const int page_max = srv.options().page_max;
  int64_t room = limit.value_or(INT64_MAX);
  if (page_max > 0) room = std::min<int64_t>(room, page_max);

  const MbContext context = ctx(srv);
  std::string out;
  out.reserve(size_t(std::min<int64_t>(room, 2000)) * 1300 + 256);
  JsonWriter w(out);
  w.begin_object().key("Items").begin_array();
  int64_t total = 0;
  {
    auto lock = srv.state().read_lock();
    auto consider = [&](uint32_t index) {
      if (index == kViewMovies || index == kViewShows) {
        if (!(include & kViewBit) || (exclude & kViewBit) || date_filtered) return;
        if (total >= start && total - start < room) view_item(w, srv, index == kViewMovies ? 1 : 2);
        ++total;
        return;
      }
      if (!srv.state().present(index)) return;  // removed, or folded into another item
      const Entry& e = c.at(index);
      const uint8_t bit = uint8_t(1 << int(e.kind));
      if (!(include & bit) || (exclude & bit)) return;
      const ItemState& s = srv.state().peek(index);
      if (is_played >= 0 && (e.kind == EntryKind::movie || e.kind == EntryKind::episode) && s.watched != (is_played == 1)) {
        return;
      }
      if (min_saved && ticks_from_unix(s.added_at) < *min_saved) return;  // DateLastSaved
      if (min_saved_for_user && (s.saved == 0 || s.saved < *min_saved_for_user)) return;
      if (total >= start && total - start < room) mb_item(w, context, e, !user.empty());
      ++total;
    };
    if (list) {
      for (uint32_t index : *list) consider(index);
    } else {
      for (uint32_t index = range_from; index < range_to; ++index) consider(index);
    }
  }
  w.end_array().kv("TotalRecordCount", total);
  if (srv.type() == ServerType::jellyfin) w.kv("StartIndex", start);
  w.end_object();
  srv.send_json(res, std::move(out));
}

void one_item(FakeServer& srv, const httplib::Request& req, httplib::Response& res, const std::string& path_user,
              const std::string& id) {
  const std::string user = path_user.empty() ? srv.param(req, "userId") : path_user;
  if (!check_user(srv, user, res)) return;
  const Entry* e = srv.catalog().find(id);
  std::string out;
  JsonWriter w(out);
  auto lock = srv.state().read_lock();
  if (!e || !srv.state().present(e->index)) return srv.send_error(res, 404);
  mb_item(w, ctx(srv), *e, !user.empty() || srv.type() == ServerType::emby);
  lock.unlock();
  srv.send_json(res, std::move(out));
}

// The item with this id if it is in the library now, else nullptr.
const Entry* present_item(FakeServer& srv, const std::string& id) {
  const Entry* e = srv.catalog().find(id);
  if (!e) return nullptr;
  auto lock = srv.state().read_lock();
  return srv.state().present(e->index) ? e : nullptr;
}

// The answer to a user-data read or write: the bare UserItemDataDto, of `as_written` when given.
void user_data_reply(FakeServer& srv, httplib::Response& res, const Entry& e, const ItemState* as_written = nullptr) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  auto lock = srv.state().read_lock();
  mb_user_data(w, ctx(srv), e, as_written);
  lock.unlock();
  w.end_object();
  // mb_user_data writes "UserData":{…}; the write routes answer the bare UserItemDataDto.
  const size_t open = out.find('{', 1);
  srv.send_json(res, out.substr(open, out.size() - open - 1));
}

// With --echo-webhooks, the webhook the real server sends after this write: Jellyfin
// UserDataSaved (SaveReason TogglePlayed for played/unplayed, UpdateUserData for a user data
// update), Emby item.markplayed / item.markunplayed.
void echo(FakeServer& srv, const Entry& e, const std::string& event, const std::string& save_reason = {}) {
  if (!srv.echo()) return;
  WebhookRequest rq;
  rq.event = event;
  rq.item = e.id;
  rq.save_reason = save_reason;
  if (auto payload = build_webhook(srv, rq)) srv.echo()->send(std::move(*payload));
}

void echo_played(FakeServer& srv, const Entry& e, bool played) {
  if (srv.type() == ServerType::jellyfin) {
    echo(srv, e, "UserDataSaved", "TogglePlayed");
  } else {
    echo(srv, e, played ? "item.markplayed" : "item.markunplayed");
  }
}

// Played / unplayed. Marking a series or season marks its episodes, as the real servers do.
// An item that ignores writes answers as marked and stays as it was.
void played(FakeServer& srv, const httplib::Request& req, httplib::Response& res, const std::string& path_user,
            const std::string& id, bool played) {
  const std::string user = path_user.empty() ? srv.param(req, "userId") : path_user;
  if (!check_user(srv, user, res)) return;
  const Entry* e = present_item(srv, id);
  if (!e) return srv.send_error(res, 404);
  int64_t at = now_ticks();
  const std::string date = srv.param(req, "datePlayed");
  if (played && !date.empty()) {
    auto parsed = parse_date_ticks(date);
    if (!parsed) return srv.send_error(res, 400);
    at = *parsed;  // the date the client gave is kept
  }
  const Change change = played ? played_at(at) : unplayed();
  if (e->kind == EntryKind::movie || e->kind == EntryKind::episode) {
    const FakeState::Written written = srv.state().write(e->index, change);
    user_data_reply(srv, res, *e, &written.state);
    if (written.applied) echo_played(srv, *e, played);
    return;
  }
  std::vector<uint32_t> targets;
  for (uint32_t child : srv.catalog().children_of(e->index)) {
    if (e->kind == EntryKind::season) targets.push_back(child);
    for (uint32_t ep : srv.catalog().children_of(child)) targets.push_back(ep);
  }
  std::vector<uint32_t> changed;
  for (uint32_t t : targets) {
    {
      auto lock = srv.state().read_lock();
      if (!srv.state().present(t)) continue;
    }
    if (srv.state().write(t, change).applied) changed.push_back(t);
  }
  user_data_reply(srv, res, *e);
  for (uint32_t t : changed) echo_played(srv, srv.catalog().at(t), played);
}

void update_user_data(FakeServer& srv, const httplib::Request& req, httplib::Response& res,
                      const std::string& path_user, const std::string& id) {
  const std::string user = path_user.empty() ? srv.param(req, "userId") : path_user;
  if (!check_user(srv, user, res)) return;
  const Entry* e = present_item(srv, id);
  if (!e) return srv.send_error(res, 404);
  if (req.method == "GET") return user_data_reply(srv, res, *e);
  const auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return srv.send_error(res, 400);
  std::optional<bool> played;
  std::optional<uint32_t> count;
  std::optional<int64_t> position_ms, last_played;
  for (const auto& [key, value] : body.items()) {
    if (value.is_null()) continue;  // null means "leave as is"
    if (iequals(key, "Played") && value.is_boolean()) played = value.get<bool>();
    if (iequals(key, "PlayCount") && value.is_number_integer()) count = value.get<uint32_t>();
    if (iequals(key, "PlaybackPositionTicks") && value.is_number()) position_ms = value.get<int64_t>() / kTicksPerMs;
    if (iequals(key, "LastPlayedDate") && value.is_string()) {
      last_played = parse_date_ticks(value.get<std::string>());
      if (!last_played) return srv.send_error(res, 400);
    }
  }
  if (e->kind != EntryKind::movie && e->kind != EntryKind::episode) return user_data_reply(srv, res, *e);
  const FakeState::Written written = srv.state().write(e->index, user_data(played, count, position_ms, last_played));
  user_data_reply(srv, res, *e, &written.state);
  // Emby sends no webhook for a user data update (its events are marks, plays, ratings).
  if (written.applied && srv.type() == ServerType::jellyfin) echo(srv, *e, "UserDataSaved", "UpdateUserData");
}

}  // namespace

void add_jellyfin_routes(FakeServer& srv) {
  Router& r = srv.routes();
  const bool jellyfin = srv.type() == ServerType::jellyfin;
  using Req = httplib::Request;
  using Res = httplib::Response;

  r.add("GET", "/System/Info/Public", [&srv](const Req&, Res& res, const Params&) { system_info(srv, res, false); },
        {.auth = false});
  r.add("GET", "/System/Info", [&srv](const Req&, Res& res, const Params&) { system_info(srv, res, true); });
  r.add("GET|POST", "/System/Ping", [&srv](const Req&, Res& res, const Params&) {
    res.set_content(srv.type() == ServerType::emby ? "Emby Server" : "\"Jellyfin Server\"", "application/json");
  }, {.auth = false});

  r.add("GET", "/Users", [&srv](const Req&, Res& res, const Params&) {
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    user_json(w, srv);
    w.end_array();
    srv.send_json(res, std::move(out));
  });
  r.add("GET", "/Users/{}", [&srv](const Req&, Res& res, const Params& p) {
    if (!check_user(srv, p[0], res)) return;
    std::string out;
    JsonWriter w(out);
    user_json(w, srv);
    srv.send_json(res, std::move(out));
  });

  r.add("GET", "/Users/{}/Views", [&srv](const Req&, Res& res, const Params& p) {
    if (check_user(srv, p[0], res)) views(srv, res);
  });
  if (jellyfin) {
    r.add("GET", "/UserViews", [&srv](const Req& req, Res& res, const Params&) {
      if (check_user(srv, srv.param(req, "userId"), res)) views(srv, res);
    });
  }
  r.add("GET", "/Library/VirtualFolders", [&srv](const Req&, Res& res, const Params&) {
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    for (int lib = 1; lib <= 2; ++lib) {
      w.begin_object().kv("Name", lib == 1 ? "Movies" : "Shows");
      w.key("Locations").begin_array().value(lib == 1 ? "/media/movies" : "/media/tv").end_array();
      w.kv("CollectionType", lib == 1 ? "movies" : "tvshows");
      w.kv("ItemId", srv.catalog().library_id(lib)).end_object();
    }
    w.end_array();
    srv.send_json(res, std::move(out));
  });

  r.add("GET", "/Items", [&srv](const Req& req, Res& res, const Params&) { items(srv, req, res, ""); });
  r.add("GET", "/Users/{}/Items", [&srv](const Req& req, Res& res, const Params& p) { items(srv, req, res, p[0]); });
  r.add("GET", "/Items/{}", [&srv](const Req& req, Res& res, const Params& p) { one_item(srv, req, res, "", p[0]); });
  r.add("GET", "/Users/{}/Items/{}",
        [&srv](const Req& req, Res& res, const Params& p) { one_item(srv, req, res, p[0], p[1]); });

  const RouteOptions write{.auth = true, .write = true};
  r.add("POST|DELETE", "/Users/{}/PlayedItems/{}", [&srv](const Req& req, Res& res, const Params& p) {
    played(srv, req, res, p[0], p[1], req.method == "POST");
  }, write);
  r.add("POST", "/Users/{}/Items/{}/UserData", [&srv](const Req& req, Res& res, const Params& p) {
    update_user_data(srv, req, res, p[0], p[1]);
  }, write);
  if (jellyfin) {
    r.add("POST|DELETE", "/UserPlayedItems/{}", [&srv](const Req& req, Res& res, const Params& p) {
      played(srv, req, res, "", p[0], req.method == "POST");
    }, write);
    r.add("POST", "/UserItems/{}/UserData", [&srv](const Req& req, Res& res, const Params& p) {
      update_user_data(srv, req, res, "", p[0]);
    }, write);
    r.add("GET", "/UserItems/{}/UserData", [&srv](const Req& req, Res& res, const Params& p) {
      update_user_data(srv, req, res, "", p[0]);
    });
  }
}

}  // namespace ws::fake
