#include "mediabrowser_client.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "client_util.h"
#include "ws/iso_time.h"
#include "ws/json_fields.h"
#include "ws/mediabrowser_items.h"
#include "ws/text.h"

namespace ws {
namespace {

// Jellyfin writes user ids as 32 hex digits, people paste them with dashes: compare both ways.
std::string id_key(std::string_view id) {
  std::string out;
  for (unsigned char c : id)
    if (c != '-') out += static_cast<char>(std::tolower(c));
  return out;
}

}  // namespace

MediaBrowserClient::MediaBrowserClient(ServerConfig server, const BackendOptions& options,
                                       std::vector<std::pair<std::string, std::string>> auth_headers)
    : server_(std::move(server)), series_(options.series_cache ? options.series_cache : std::make_shared<SeriesCache>()) {
  auth_headers.emplace_back("Accept", "application/json");
  http_ = backend_detail::make_http(server_, options, std::move(auth_headers));
}

Result<Ok> MediaBrowserClient::require_user() const {
  if (server_.user.empty())
    return backend_detail::config_error(server_, "no user id configured (servers.yaml `user`); `watchstate servers:test " +
                                                     server_.name + "` lists the server's users");
  return Ok{};
}

Result<ServerIdentity> MediaBrowserClient::identity() {
  auto info = http_->get_json("/System/Info");
  if (!info) return info.error();
  ServerIdentity identity;
  identity.id = lenient::get_string(*info, "Id").value_or("");
  identity.name = lenient::get_string(*info, "ServerName").value_or("");
  identity.version = lenient::get_string(*info, "Version").value_or("");
  if (identity.id.empty())
    return make_error(ErrorKind::corruption, server_.name + ": GET /System/Info → no Id (is this a " +
                                                 std::string(to_string(server_.type)) + " server?)");
  auto users = http_->get_json("/Users");
  if (!users) return users.error();
  std::string known;
  if (users->is_array()) {
    for (const auto& user : *users) {
      const std::string id = lenient::get_string(user, "Id").value_or("");
      const std::string name = lenient::get_string(user, "Name").value_or("");
      if (!server_.user.empty() && id_key(id) == id_key(server_.user)) {
        identity.user_id = id;
        identity.user_name = name;
        return identity;
      }
      if (!known.empty()) known += ", ";
      known += name + " (" + id + ")";
    }
  }
  const std::string what = server_.user.empty() ? "no user id configured (servers.yaml `user`)"
                                                : "user '" + server_.user + "' is not a user of this server";
  return make_error(ErrorKind::invalid_input,
                    server_.name + ": " + what + "; its users: " + (known.empty() ? "none visible to this token" : known));
}

Result<std::vector<Library>> MediaBrowserClient::libraries() {
  if (auto r = require_user(); !r) return r.error();
  auto body = http_->get_json(views_target());
  if (!body) return body.error();
  std::vector<Library> out;
  for (const auto& view : mediabrowser_items_list(*body)) {
    Library library;
    library.id = lenient::get_string(view, "Id").value_or("");
    library.title = lenient::get_string(view, "Name").value_or("");
    const std::string type = ascii_lower(lenient::get_string(view, "CollectionType").value_or(""));
    if (library.id.empty()) continue;
    if (type == "movies") {
      library.kind = MediaType::movie;
    } else if (type == "tvshows") {
      library.kind = MediaType::episode;
    } else {
      continue;
    }
    const auto& ignored = server_.ignored_libraries;
    library.ignored = std::find(ignored.begin(), ignored.end(), library.id) != ignored.end();
    out.push_back(std::move(library));
  }
  return out;
}

std::string MediaBrowserClient::change_filter(int64_t since) {
  if (since <= 0) return "";
  // With `Z` (a date without a zone is taken as the server's local time), whole seconds as
  // Emby's own Kodi add-on sends it.
  std::string at = iso_time::format(since);
  if (auto dot = at.find('.'); dot != std::string::npos) at = at.substr(0, dot) + "Z";
  return "&MinDateLastSavedForUser=" + backend_detail::url_encode(at);
}

Result<int64_t> MediaBrowserClient::count_items(const Library& library) {
  if (auto r = require_user(); !r) return r.error();
  const std::string target = items_target(library, 0, 0);
  auto body = http_->get_json(target);
  if (!body) return body.error();
  if (auto total = lenient::get_int(*body, "TotalRecordCount")) return *total;
  return make_error(ErrorKind::corruption, server_.name + ": GET " + target + " → no TotalRecordCount");
}

Result<ItemPage> MediaBrowserClient::fetch_page(const Library& library, int64_t start, int64_t size) {
  if (auto r = require_user(); !r) return r.error();
  auto page = backend_detail::fill_page(start, size, [&](int64_t at, int64_t want) -> Result<backend_detail::Chunk> {
    ItemsPage page;
    auto got = backend_detail::read_items_page(*http_, PageFormat::mediabrowser, items_target(library, at, want),
                                               server_.name, page);
    if (!got) return got.error();
    backend_detail::Chunk chunk;
    chunk.entries = static_cast<int64_t>(page.entries.size());
    for (auto& item : page.entries) {
      if (!item) {
        ++chunk.skipped;
        continue;
      }
      item->library_id = library.id;
      chunk.items.push_back(std::move(*item));
    }
    chunk.total = page.total ? *page.total : at + chunk.entries + (chunk.entries >= want ? 1 : 0);
    return chunk;
  });
  if (!page) return page.error();
  if (auto r = resolve_series(page->items, library.id); !r) return r.error();
  return page;
}

Result<Ok> MediaBrowserClient::prime_series(const std::string& library_id) {
  constexpr int64_t kBatch = 500;
  for (int64_t start = 0;;) {
    SeriesPage page;
    auto got = backend_detail::read_series_page(*http_, PageFormat::mediabrowser,
                                                items_target(library_id, "Series", start, kBatch), page);
    if (!got) return got.error();
    for (auto& series : page.entries)
      if (series.id) series_->put(*series.id, std::move(series.info));
    start += static_cast<int64_t>(page.entries.size());
    if (page.entries.empty() || start >= page.total.value_or(0)) break;
  }
  return Ok{};
}

Result<Ok> MediaBrowserClient::resolve_series(std::vector<MediaItem>& items, const std::string& library_id) {
  if (!library_id.empty()) {
    std::set<std::string> unknown;
    for (const auto& item : items)
      if (item.type == MediaType::episode && !item.series_id.empty() && !series_->find(item.series_id))
        unknown.insert(item.series_id);
    if (unknown.size() > 1 && series_->claim_library(library_id))
      if (auto r = prime_series(library_id); !r) return r.error();
  }
  for (auto& item : items) {
    if (item.type != MediaType::episode || item.series_id.empty()) continue;
    auto info = series_->find(item.series_id);
    if (!info) {
      auto series = http_->get_json(item_target(item.series_id));
      if (!series && series.error().kind != ErrorKind::not_found) return series.error();
      info = series ? parse_mediabrowser_series(*series) : SeriesInfo{};  // vanished: remember, don't ask again
      series_->put(item.series_id, *info);
    }
    for (const auto& [source, value] : info->guids) add_guid(item.parent, source, value);
    if (info->year > 0) item.year = info->year;
  }
  return Ok{};
}

Result<MediaItem> MediaBrowserClient::fetch_item(const std::string& item_id) {
  if (auto r = require_user(); !r) return r.error();
  auto body = http_->get_json(item_target(item_id));
  if (!body) return body.error();
  auto item = parse_mediabrowser_item(*body, server_.name);
  if (!item) return make_error(item.error().kind, server_.name + ": " + item.error().message);
  std::vector<MediaItem> one{std::move(*item)};
  if (auto r = resolve_series(one, ""); !r) return r.error();
  return std::move(one.front());
}

Result<std::vector<MediaItem>> MediaBrowserClient::fetch_items(const std::vector<std::string>& item_ids) {
  if (auto r = require_user(); !r) return r.error();
  std::vector<MediaItem> items;
  for (const auto& batch : backend_detail::id_batches(item_ids, kItemsPerRead)) {
    std::string ids;
    for (const auto& id : batch) ids += (ids.empty() ? "" : ",") + id;
    // A server may answer a page of them (a page limit of its own): ask on from where it ended.
    for (int64_t start = 0; start < static_cast<int64_t>(batch.size());) {
      ItemsPage page;
      auto got = backend_detail::read_items_page(*http_, PageFormat::mediabrowser, items_by_id_target(ids, start),
                                                 server_.name, page);
      if (!got) return got.error();
      for (auto& item : page.entries)
        if (item) items.push_back(std::move(*item));
      start += static_cast<int64_t>(page.entries.size());
      if (page.entries.empty() || start >= page.total.value_or(0)) break;
    }
  }
  if (auto r = resolve_series(items, ""); !r) return r.error();
  return items;
}

Result<Ok> MediaBrowserClient::write(HttpRequest request) {
  if (auto r = require_user(); !r) return r.error();
  auto response = http_->send(std::move(request));
  if (!response) return response.error();
  return Ok{};
}

Result<Ok> MediaBrowserClient::mark_played(const MediaItem& item, int64_t played_at) {
  return write(played_request(item.item_id, played_at > 0 ? played_at : std::time(nullptr)));
}

Result<Ok> MediaBrowserClient::mark_unplayed(const MediaItem& item) {
  return write(played_request(item.item_id, std::nullopt));
}

Result<Ok> MediaBrowserClient::set_progress(const MediaItem& item, int64_t position_ms) {
  return write(progress_request(item.item_id, std::max<int64_t>(0, position_ms)));
}

}  // namespace ws
