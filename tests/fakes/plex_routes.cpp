// Plex Media Server routes (DESIGN §11, pms_openapi_1.2.0): identity, sections, paged section
// listings, single items, and the scrobble/unscrobble/timeline writes.
#include <algorithm>
#include <memory>
#include <optional>

#include "fake_server.h"
#include "fake_time.h"
#include "plex_filter.h"
#include "plex_render.h"

namespace ws::fake {
namespace {

constexpr const char* kPlexVersion = "1.40.2.8395-c67dce28e";

bool wants_json(const httplib::Request& req) {
  return req.get_header_value("Accept").find("application/json") != std::string::npos;
}

void send(FakeServer& srv, httplib::Response& res, std::string body, bool json) {
  if (json) {
    srv.send_json(res, std::move(body));
  } else {
    res.set_content(std::move(body), "text/xml;charset=utf-8");
  }
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

// X-Plex-Container-Start/Size, as headers or query parameters (the header wins).
struct Paging {
  bool given = false;
  int64_t start = 0;
  std::optional<int64_t> size;
};

Paging paging(const FakeServer& srv, const httplib::Request& req) {
  Paging p;
  for (const char* name : {"X-Plex-Container-Start", "X-Plex-Container-Size"}) {
    std::string v = req.get_header_value(name);
    if (v.empty()) v = srv.param(req, name);
    if (v.empty()) continue;
    p.given = true;
    const auto n = to_int(v);
    if (std::string_view(name).ends_with("Start")) {
      p.start = std::max<int64_t>(0, n.value_or(0));
    } else {
      p.size = std::max<int64_t>(0, n.value_or(0));
    }
  }
  return p;
}

void sections(FakeServer& srv, const httplib::Request& req, httplib::Response& res) {
  const bool json = wants_json(req);
  std::string out;
  PlexWriter w(out, json);
  w.open("MediaContainer");
  w.attr("size", int64_t(2));
  w.attr("allowSync", false);
  w.attr("title1", "Plex Library");
  w.children("Directory");
  for (int lib = 1; lib <= 2; ++lib) {
    const Catalog& c = srv.catalog();
    w.open("Directory");
    w.attr("allowSync", true);
    w.attr("art", lib == 1 ? "/:/resources/movie-fanart.jpg" : "/:/resources/show-fanart.jpg");
    w.attr("composite", "/library/sections/" + std::to_string(lib) + "/composite/1693688538");
    w.attr("filters", true);
    w.attr("refreshing", false);
    w.attr("thumb", lib == 1 ? "/:/resources/movie.png" : "/:/resources/show.png");
    w.attr("key", c.library_id(lib));
    w.attr("type", lib == 1 ? "movie" : "show");
    w.attr("title", plex_section_title(lib));
    w.attr("agent", lib == 1 ? "tv.plex.agents.movie" : "tv.plex.agents.series");
    w.attr("scanner", lib == 1 ? "Plex Movie" : "Plex TV Series");
    w.attr("language", "en-US");
    w.attr("uuid", c.library_uuid(lib));
    w.attr("updatedAt", int64_t(1693708514));
    w.attr("createdAt", int64_t(1499601583));
    w.attr("scannedAt", int64_t(1693688538));
    w.attr("content", true);
    w.attr("directory", true);
    w.attr("contentChangedAt", int64_t(18253756));
    w.attr("hidden", int64_t(0));
    w.children("Location");
    w.open("Location");
    w.attr("id", int64_t(lib));
    w.attr("path", lib == 1 ? "/data/media/movies" : "/data/media/tv");
    w.close();
    w.end_children();
    w.close();
  }
  w.end_children();
  w.close();
  send(srv, res, std::move(out), json);
}

void section_all(FakeServer& srv, const std::vector<uint32_t>& seasons, const httplib::Request& req,
                 httplib::Response& res, const Params& p) {
  const Catalog& c = srv.catalog();
  const std::string& key = p[0];
  const int lib = key == "1" ? 1 : key == "2" ? 2 : 0;
  if (!lib) return srv.send_error(res, 404);
  const std::string type = srv.param(req, "type");
  static const std::vector<uint32_t> kEmpty;
  const std::vector<uint32_t>* list = &kEmpty;
  std::string view_group = lib == 1 ? "movie" : "show";
  if (lib == 1 && (type.empty() || type == "1")) {
    list = &c.movies();
  } else if (lib == 2 && (type.empty() || type == "2")) {
    list = &c.shows();
  } else if (lib == 2 && type == "3") {
    list = &seasons, view_group = "season";
  } else if (lib == 2 && type == "4") {
    list = &c.episodes(), view_group = "episode";
  }
  // The date filter of an incremental import (plex_filter.h); a date that is not one: 400.
  const size_t q = req.target.find('?');
  const auto filter =
      PlexFilter::parse(q == std::string::npos ? std::string_view{} : std::string_view(req.target).substr(q + 1),
                        unix_from_ticks(now_ticks()));
  if (!filter) return srv.send_error(res, 400);
  // Under one read lock: which items are listed, and their state.
  auto lock = srv.state().read_lock();
  std::vector<uint32_t> kept;
  if (srv.state().removed_count() > 0) {
    kept = srv.state().present_of(*list);
    list = &kept;
  }
  if (!filter->empty()) {
    std::vector<uint32_t> matching;
    for (uint32_t index : *list) {
      const ItemState& s = srv.state().peek(index);
      PlexFilterDates dates;
      if (s.last_played) dates.last_viewed_at = unix_from_ticks(s.last_played);
      dates.added_at = s.added_at;
      dates.updated_at = s.added_at + 3600;  // as plex_render shows it: metadata, not watch state
      if (filter->matches(dates)) matching.push_back(index);
    }
    kept = std::move(matching);
    list = &kept;
  }
  const Paging page = paging(srv, req);
  const int64_t total = int64_t(list->size());
  int64_t count = page.size.value_or(total);
  const int page_max = srv.options().page_max;
  const bool capped = page_max > 0 && count > page_max;
  if (capped) count = page_max;
  const int64_t begin = std::min(page.start, total);
  const int64_t end = std::min(total, begin + count);
  const bool guids = srv.param(req, "includeGuids") == "1";

  const bool json = wants_json(req);
  std::string out;
  out.reserve(size_t(end - begin) * (json ? 1100 : 1000) + 1024);
  PlexWriter w(out, json);
  w.open("MediaContainer");
  w.attr("size", end - begin);
  if (page.given || capped) {
    w.attr("totalSize", total);
    w.attr("offset", begin);
  }
  w.attr("allowSync", true);
  w.attr("art", lib == 1 ? "/:/resources/movie-fanart.jpg" : "/:/resources/show-fanart.jpg");
  w.attr("identifier", "com.plexapp.plugins.library");
  w.attr("librarySectionID", int64_t(lib));
  w.attr("librarySectionTitle", plex_section_title(lib));
  w.attr("librarySectionUUID", c.library_uuid(lib));
  w.attr("mediaTagPrefix", "/system/bundle/media/flags/");
  w.attr("mediaTagVersion", int64_t(1690992652));
  if (lib == 2) w.attr("nocache", true);
  w.attr("thumb", lib == 1 ? "/:/resources/movie.png" : "/:/resources/show.png");
  w.attr("title1", plex_section_title(lib));
  w.attr("title2", lib == 1 ? "All Movies" : "All Shows");
  w.attr("viewGroup", view_group);
  w.attr("viewMode", int64_t(65592));
  if (end > begin) {
    w.children("Metadata");
    PlexItemOptions o;
    o.guids = guids;
    for (int64_t i = begin; i < end; ++i) plex_item(w, c, srv.state(), c.at((*list)[size_t(i)]), o);
    w.end_children();
  }
  lock.unlock();
  w.close();
  if (page.given || capped) {
    res.set_header("X-Plex-Container-Start", std::to_string(begin));
    res.set_header("X-Plex-Container-Total-Size", std::to_string(total));
  }
  send(srv, res, std::move(out), json);
}

// A list of entries as a metadata container (single items, children, leaves).
void metadata_list(FakeServer& srv, const httplib::Request& req, httplib::Response& res,
                   const std::vector<const Entry*>& items, std::optional<int> library) {
  const bool json = wants_json(req);
  std::string out;
  PlexWriter w(out, json);
  w.open("MediaContainer");
  w.attr("size", int64_t(items.size()));
  w.attr("allowSync", true);
  w.attr("identifier", "com.plexapp.plugins.library");
  if (library) {
    w.attr("librarySectionID", int64_t(*library));
    w.attr("librarySectionTitle", plex_section_title(*library));
    w.attr("librarySectionUUID", srv.catalog().library_uuid(*library));
  }
  w.attr("mediaTagPrefix", "/system/bundle/media/flags/");
  w.attr("mediaTagVersion", int64_t(1690992652));
  if (!items.empty()) {
    auto lock = srv.state().read_lock();
    w.children("Metadata");
    PlexItemOptions o;
    o.guids = true;
    o.detail = true;
    for (const Entry* e : items) plex_item(w, srv.catalog(), srv.state(), *e, o);
    w.end_children();
  }
  w.close();
  send(srv, res, std::move(out), json);
}

// The entry with this ratingKey if it is in the library now, else nullptr.
const Entry* present_item(FakeServer& srv, std::string_view key) {
  const Entry* e = key.empty() ? nullptr : srv.catalog().find(key);
  if (!e) return nullptr;
  auto lock = srv.state().read_lock();
  return srv.state().present(e->index) ? e : nullptr;
}

// ratingKey from key=123, key=/library/metadata/123 or uri=…/library/metadata/123.
const Entry* find_item(FakeServer& srv, const httplib::Request& req, const char* name) {
  std::string key = srv.param(req, name);
  if (key.empty()) key = srv.param(req, "uri");
  const size_t slash = key.rfind('/');
  if (slash != std::string::npos) key = key.substr(slash + 1);
  return present_item(srv, key);
}

// Episodes in the library under a show or season, or the item itself.
std::vector<uint32_t> leaves(FakeServer& srv, const Entry& e) {
  const Catalog& c = srv.catalog();
  std::vector<uint32_t> out;
  if (e.kind == EntryKind::movie || e.kind == EntryKind::episode) {
    out.push_back(e.index);
  } else if (e.kind == EntryKind::season) {
    out = c.children_of(e.index);
  } else {
    for (uint32_t s : c.children_of(e.index)) {
      for (uint32_t ep : c.children_of(s)) out.push_back(ep);
    }
  }
  auto lock = srv.state().read_lock();
  return srv.state().present_of(out);
}

// An item that ignores writes answers 200 all the same (FakeState::write).
void scrobble(FakeServer& srv, const httplib::Request& req, httplib::Response& res, bool played) {
  if (srv.param(req, "key").empty() && srv.param(req, "uri").empty()) return srv.send_error(res, 400);
  const Entry* e = find_item(srv, req, "key");
  if (!e) return srv.send_error(res, 404);
  // Plex sets the played date itself: a scrobble is "played now", whatever the client wanted.
  const Change change = played ? played_at(now_ticks()) : unplayed();
  for (uint32_t i : leaves(srv, *e)) srv.state().write(i, change);
  res.status = 200;
}

void timeline(FakeServer& srv, const httplib::Request& req, httplib::Response& res) {
  const Entry* e = find_item(srv, req, "ratingKey");
  if (!e) e = find_item(srv, req, "key");
  if (!e || (e->kind != EntryKind::movie && e->kind != EntryKind::episode)) return srv.send_error(res, 404);
  const auto time = to_int(srv.param(req, "time"));
  const auto duration = to_int(srv.param(req, "duration"));
  const bool client = !req.get_header_value("X-Plex-Client-Identifier").empty() ||
                      !srv.param(req, "X-Plex-Client-Identifier").empty();
  // Plex ignores timelines without a duration or a client identifier (answers 200 all the same).
  if (time && duration && *duration > 0 && client) {
    if (*time >= *duration * 9 / 10) {
      srv.state().write(e->index, played_at(now_ticks()));
    } else {
      srv.state().write(e->index, progress_at(*time, now_ticks()));
    }
  }
  std::string out;
  const bool json = wants_json(req);
  PlexWriter w(out, json);
  w.open("MediaContainer");
  w.attr("size", int64_t(0));
  w.close();
  send(srv, res, std::move(out), json);
}

}  // namespace

void add_plex_routes(FakeServer& srv) {
  Router& r = srv.routes();
  const Catalog& c = srv.catalog();
  auto seasons = std::make_shared<std::vector<uint32_t>>();
  for (uint32_t show : c.shows()) {
    for (uint32_t s : c.children_of(show)) seasons->push_back(s);
  }

  r.add("GET", "/identity", [&srv](const httplib::Request& req, httplib::Response& res, const Params&) {
    const bool json = wants_json(req);
    std::string out;
    PlexWriter w(out, json);
    w.open("MediaContainer");
    w.attr("size", int64_t(0));
    w.attr("claimed", true);
    w.attr("machineIdentifier", srv.options().server_id);
    w.attr("version", kPlexVersion);
    w.close();
    send(srv, res, std::move(out), json);
  }, {.auth = false});

  r.add("GET", "/", [&srv](const httplib::Request& req, httplib::Response& res, const Params&) {
    const bool json = wants_json(req);
    std::string out;
    PlexWriter w(out, json);
    w.open("MediaContainer");
    w.attr("size", int64_t(0));
    w.attr("allowSync", true);
    w.attr("claimed", true);
    w.attr("friendlyName", srv.options().name);
    w.attr("machineIdentifier", srv.options().server_id);
    w.attr("myPlex", true);
    w.attr("platform", "Linux");
    w.attr("version", kPlexVersion);
    w.close();
    send(srv, res, std::move(out), json);
  });

  auto sections_handler = [&srv](const httplib::Request& req, httplib::Response& res, const Params&) {
    sections(srv, req, res);
  };
  r.add("GET", "/library/sections", sections_handler);
  r.add("GET", "/library/sections/all", sections_handler);

  r.add("GET", "/library/sections/{}/all",
        [&srv, seasons](const httplib::Request& req, httplib::Response& res, const Params& p) {
          section_all(srv, *seasons, req, res, p);
        });

  r.add("GET", "/library/metadata/{}", [&srv](const httplib::Request& req, httplib::Response& res, const Params& p) {
    std::vector<const Entry*> items;
    std::string_view ids = p[0];
    while (!ids.empty()) {  // Plex accepts a comma-separated list
      const size_t comma = ids.find(',');
      if (const Entry* e = present_item(srv, ids.substr(0, comma))) items.push_back(e);
      ids = comma == std::string_view::npos ? std::string_view{} : ids.substr(comma + 1);
    }
    if (items.empty()) return srv.send_error(res, 404);
    metadata_list(srv, req, res, items, items.front()->library);
  });

  for (const char* sub : {"children", "allLeaves"}) {
    const bool all_leaves = std::string_view(sub) == "allLeaves";
    r.add("GET", std::string("/library/metadata/{}/") + sub,
          [&srv, all_leaves](const httplib::Request& req, httplib::Response& res, const Params& p) {
            const Entry* e = present_item(srv, p[0]);
            if (!e) return srv.send_error(res, 404);
            std::vector<const Entry*> items;
            std::vector<uint32_t> list;
            if (all_leaves) {
              list = leaves(srv, *e);
            } else {
              auto lock = srv.state().read_lock();
              list = srv.state().present_of(srv.catalog().children_of(e->index));
            }
            for (uint32_t i : list) items.push_back(&srv.catalog().at(i));
            metadata_list(srv, req, res, items, e->library);
          });
  }

  // The server's local accounts, as a real PMS lists them to its owner's token: 0 (the system,
  // no name), the owner (local id 1 on a real server; here --user-id), and the shared users who
  // have played here, by their plex.tv ids. Webhooks name the account by the same id.
  r.add("GET", "/accounts", [&srv](const httplib::Request& req, httplib::Response& res, const Params&) {
    const bool json = wants_json(req);
    std::string out;
    PlexWriter w(out, json);
    w.open("MediaContainer");
    w.attr("size", int64_t(3));
    w.attr("identifier", "com.plexapp.system.accounts");
    w.children("Account");
    const std::string owner = srv.options().user_id;
    for (const auto& [id, name] : {std::pair<std::string, std::string>{"0", ""}, {owner, "fakeuser"},
                                   {kPlexGuestAccountId, kPlexGuestAccountName}}) {
      w.open("Account");
      w.attr("id", int64_t(std::atoll(id.c_str())));
      w.attr("key", "/accounts/" + id);
      w.attr("name", name);
      w.attr("defaultAudioLanguage", "en");
      w.attr("autoSelectAudio", true);
      w.attr("defaultSubtitleLanguage", "en");
      w.attr("subtitleMode", int64_t(1));
      w.attr("thumb", "");
      w.close();
    }
    w.end_children();
    w.close();
    send(srv, res, std::move(out), json);
  });

  const RouteOptions write{.auth = true, .write = true};
  r.add("GET|PUT|POST", "/:/scrobble",
        [&srv](const httplib::Request& req, httplib::Response& res, const Params&) { scrobble(srv, req, res, true); },
        write);
  r.add("GET|PUT|POST", "/:/unscrobble",
        [&srv](const httplib::Request& req, httplib::Response& res, const Params&) { scrobble(srv, req, res, false); },
        write);
  r.add("GET|PUT|POST", "/:/timeline",
        [&srv](const httplib::Request& req, httplib::Response& res, const Params&) { timeline(srv, req, res); }, write);
}

}  // namespace ws::fake
