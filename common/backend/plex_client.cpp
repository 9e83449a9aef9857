#include "plex_client.h"

#include <algorithm>

#include "client_util.h"
#include "ws/json_fields.h"
#include "ws/plex_items.h"

namespace ws {

using backend_detail::Query;
using backend_detail::url_encode;

namespace {

constexpr std::string_view kLibraryIdentifier = "com.plexapp.plugins.library";

// Plex's `type` filter: 1 = movie, 4 = episode.
int plex_type(MediaType kind) { return kind == MediaType::movie ? 1 : 4; }

const nlohmann::json* container(const nlohmann::json& body) { return lenient::member(body, "MediaContainer"); }

// The X-Plex-Container-Total-Size header, when sent and a number.
std::optional<int64_t> header_total(const HttpResponse& response) {
  if (auto header = response.header("x-plex-container-total-size"); !header.empty()) return lenient::int_of_text(header);
  return std::nullopt;
}

// The library total: the X-Plex-Container-Total-Size header, else MediaContainer.totalSize.
std::optional<int64_t> total_of(const HttpResponse& response, const nlohmann::json& body) {
  if (auto v = header_total(response)) return v;
  if (const auto* c = container(body)) return lenient::get_int(*c, "totalSize");
  return std::nullopt;
}

}  // namespace

PlexClient::PlexClient(ServerConfig server, const BackendOptions& options)
    : server_(std::move(server)),
      http_(backend_detail::make_http(server_, options,
                                      {{"Accept", "application/json"},
                                       {"X-Plex-Token", server_.token},
                                       {"X-Plex-Client-Identifier", options.client_identifier},
                                       {"X-Plex-Product", options.product},
                                       {"X-Plex-Version", options.version}})),
      series_(options.series_cache ? options.series_cache : std::make_shared<SeriesCache>()) {}

Result<ServerIdentity> PlexClient::identity() {
  auto body = http_->get_json("/identity");
  if (!body) return body.error();
  ServerIdentity identity;
  if (const auto* c = container(*body)) {
    identity.id = lenient::get_string(*c, "machineIdentifier").value_or("");
    identity.version = lenient::get_string(*c, "version").value_or("");
  }
  if (identity.id.empty())
    return make_error(ErrorKind::corruption, server_.name + ": GET /identity → no MediaContainer.machineIdentifier (is this a Plex server?)");
  // /identity answers without a token; the server root needs one, and has the server's name.
  auto root = http_->get_json("/");
  if (!root) {
    if (root.error().kind != ErrorKind::not_found) return root.error();
    auto sections = http_->send(HttpRequest{"GET", "/library/sections" + Query().add("X-Plex-Container-Size", 0).str(), {}, {}});
    if (!sections) return sections.error();
  } else if (const auto* c = container(*root)) {
    identity.name = lenient::get_string(*c, "friendlyName").value_or("");
  }
  return identity;
}

Result<std::vector<Library>> PlexClient::libraries() {
  auto body = http_->get_json("/library/sections");
  if (!body) return body.error();
  std::vector<Library> out;
  const auto* c = container(*body);
  const auto* dirs = c ? lenient::member(*c, "Directory") : nullptr;
  if (!dirs || !dirs->is_array()) return out;
  for (const auto& dir : *dirs) {
    Library library;
    library.id = lenient::get_string(dir, "key").value_or("");
    library.title = lenient::get_string(dir, "title").value_or("");
    const std::string type = lenient::get_string(dir, "type").value_or("");
    if (library.id.empty()) continue;
    if (type == "movie") {
      library.kind = MediaType::movie;
    } else if (type == "show") {
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

std::string PlexClient::items_target(const Library& library, int64_t start, int64_t size) const {
  return "/library/sections/" + url_encode(library.id) + "/all" +
         Query()
             .add("type", plex_type(library.kind))
             .add("includeGuids", 1)
             .add("sort", library.kind == MediaType::movie ? "addedAt" : "episode.addedAt")
             .add("X-Plex-Container-Start", start)
             .add("X-Plex-Container-Size", size)
             .str() +
         change_filter(library.changed_since);
}

// `(lastViewedAt > since OR addedAt > since)` in PMS's filter language (pms_openapi_1.2.0 "Media
// Queries": `>>=` is "after", dates are epoch seconds, push=1/or=1/pop=1 group and OR): a play
// (scrobble stamps lastViewedAt now) or a newly added item. An unmark clears lastViewedAt and is
// never listed; a full import or a webhook carries it.
std::string PlexClient::change_filter(int64_t since) {
  if (since <= 0) return "";
  const std::string at = std::to_string(since);
  return "&push=1&lastViewedAt>>=" + at + "&or=1&addedAt>>=" + at + "&pop=1";
}

Result<int64_t> PlexClient::count_items(const Library& library) {
  HttpRequest request{"GET", items_target(library, 0, 0), {}, {}};
  auto got = http_->fetch_json(request);
  if (!got) return got.error();
  if (auto total = total_of(got->response, got->body)) return *total;
  return make_error(ErrorKind::corruption, http_->describe(request) + " → no X-Plex-Container-Total-Size nor totalSize");
}

Result<ItemPage> PlexClient::fetch_page(const Library& library, int64_t start, int64_t size) {
  auto page = backend_detail::fill_page(start, size, [&](int64_t at, int64_t want) -> Result<backend_detail::Chunk> {
    auto got = items_page(items_target(library, at, want));
    if (!got) return got.error();
    backend_detail::Chunk chunk;
    chunk.entries = static_cast<int64_t>(got->entries.size());
    for (auto& item : got->entries) {
      if (!item) {
        ++chunk.skipped;
        continue;
      }
      if (item->library_id.empty()) item->library_id = library.id;
      chunk.items.push_back(std::move(*item));
    }
    chunk.total = got->total ? *got->total : at + chunk.entries + (chunk.entries >= want ? 1 : 0);
    return chunk;
  });
  if (!page) return page.error();
  if (auto r = resolve_series(page->items, library.id); !r) return r.error();
  return page;
}

Result<ItemsPage> PlexClient::items_page(std::string target) {
  ItemsPage page;
  auto response = backend_detail::read_items_page(*http_, PageFormat::plex, std::move(target), server_.name, page);
  if (!response) return response.error();
  if (auto total = header_total(*response)) page.total = total;
  return page;
}

Result<SeriesPage> PlexClient::series_page(std::string target) {
  SeriesPage page;
  auto response = backend_detail::read_series_page(*http_, PageFormat::plex, std::move(target), page);
  if (!response) return response.error();
  if (auto total = header_total(*response)) page.total = total;
  return page;
}

Result<nlohmann::json> PlexClient::metadata(const std::string& rating_key) {
  const std::string target = "/library/metadata/" + url_encode(rating_key);
  auto body = http_->get_json(target);
  if (!body) return body.error();
  const auto& list = plex_metadata_list(*body);
  if (list.empty()) return make_error(ErrorKind::not_found, server_.name + ": GET " + target + " → no such item");
  return list.front();
}

Result<Ok> PlexClient::prime_series(const std::string& library_id) {
  constexpr int64_t kBatch = 500;
  for (int64_t start = 0;;) {
    auto got = series_page("/library/sections/" + url_encode(library_id) + "/all" +
                           Query()
                               .add("type", 2)
                               .add("includeGuids", 1)
                               .add("X-Plex-Container-Start", start)
                               .add("X-Plex-Container-Size", kBatch)
                               .str());
    if (!got) return got.error();
    for (auto& show : got->entries)
      if (show.id) series_->put(*show.id, std::move(show.info));
    start += static_cast<int64_t>(got->entries.size());
    if (got->entries.empty() || start >= got->total.value_or(0)) break;
  }
  return Ok{};
}

Result<Ok> PlexClient::resolve_series(std::vector<MediaItem>& items, const std::string& library_id) {
  auto unknown_shows = [&] {
    std::vector<std::string> unknown;
    for (const auto& item : items)
      if (item.type == MediaType::episode && !item.series_id.empty() && !series_->find(item.series_id) &&
          std::find(unknown.begin(), unknown.end(), item.series_id) == unknown.end())
        unknown.push_back(item.series_id);
    return unknown;
  };
  std::vector<std::string> unknown = unknown_shows();
  if (unknown.size() > 1 && !library_id.empty() && series_->claim_library(library_id)) {
    if (auto r = prime_series(library_id); !r) return r.error();
    unknown = unknown_shows();
  }
  // What is still unknown (added meanwhile, or a single show): comma-separated batches.
  constexpr size_t kBatch = 50;
  for (size_t first = 0; first < unknown.size(); first += kBatch) {
    std::string keys;
    for (size_t i = first; i < std::min(unknown.size(), first + kBatch); ++i) keys += (keys.empty() ? "" : ",") + url_encode(unknown[i]);
    auto shows = series_page("/library/metadata/" + keys);
    if (!shows && shows.error().kind != ErrorKind::not_found) return shows.error();
    if (shows)
      for (auto& show : shows->entries)
        if (show.id) series_->put(*show.id, std::move(show.info));
    // A show that vanished meanwhile: remember it as id-less, do not ask again.
    for (size_t i = first; i < std::min(unknown.size(), first + kBatch); ++i)
      if (!series_->find(unknown[i])) series_->put(unknown[i], SeriesInfo{});
  }
  for (auto& item : items) {
    if (item.type != MediaType::episode || item.series_id.empty()) continue;
    const auto info = series_->find(item.series_id);
    if (!info) continue;
    for (const auto& [source, value] : info->guids) add_guid(item.parent, source, value);
    if (info->year > 0) item.year = info->year;
  }
  return Ok{};
}

Result<MediaItem> PlexClient::fetch_item(const std::string& item_id) {
  auto json = metadata(item_id);
  if (!json) return json.error();
  auto item = parse_plex_item(*json, server_.name);
  if (!item) return make_error(item.error().kind, server_.name + ": " + item.error().message);
  std::vector<MediaItem> one{std::move(*item)};
  if (auto r = resolve_series(one, one.front().library_id); !r) return r.error();
  return std::move(one.front());
}

Result<std::vector<MediaItem>> PlexClient::fetch_items(const std::vector<std::string>& item_ids) {
  std::vector<MediaItem> items;
  for (const auto& batch : backend_detail::id_batches(item_ids, kItemsPerRead)) {
    std::string keys;
    for (const auto& id : batch) keys += (keys.empty() ? "" : ",") + url_encode(id);
    auto page = items_page("/library/metadata/" + keys);
    if (!page) {
      if (page.error().kind == ErrorKind::not_found) continue;  // none of them is there any more
      return page.error();
    }
    for (auto& item : page->entries)
      if (item) items.push_back(std::move(*item));
  }
  if (auto r = resolve_series(items, ""); !r) return r.error();
  return items;
}

Result<Ok> PlexClient::write(const std::string& target) {
  auto response = http_->send(HttpRequest{"GET", target, {}, {}});
  if (!response) return response.error();
  return Ok{};
}

Result<Ok> PlexClient::mark_played(const MediaItem& item, int64_t /*played_at: Plex records now*/) {
  return write("/:/scrobble" + Query().add("identifier", kLibraryIdentifier).add("key", item.item_id).str());
}

Result<Ok> PlexClient::mark_unplayed(const MediaItem& item) {
  return write("/:/unscrobble" + Query().add("identifier", kLibraryIdentifier).add("key", item.item_id).str());
}

Result<Ok> PlexClient::set_progress(const MediaItem& item, int64_t position_ms) {
  // Plex ignores a timeline without the item's duration, which MediaItem does not carry.
  auto json = metadata(item.item_id);
  if (!json) return json.error();
  int64_t duration = lenient::get_int(*json, "duration").value_or(0);
  if (duration <= 0) duration = std::max<int64_t>(position_ms + 1, 1);
  return write("/:/timeline" + Query()
                                   .add("ratingKey", item.item_id)
                                   .add("key", "/library/metadata/" + item.item_id)
                                   .add("identifier", kLibraryIdentifier)
                                   .add("state", "stopped")
                                   .add("time", std::max<int64_t>(0, position_ms))
                                   .add("duration", duration)
                                   .str());
}

}  // namespace ws
