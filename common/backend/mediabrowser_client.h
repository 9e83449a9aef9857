// What Jellyfin and Emby share (both descend from MediaBrowser): identity, users, paging of
// `{Items, TotalRecordCount}`, the item shape, series read back by SeriesId. The two differ only in
// routes, query spelling and auth headers, which the subclasses give. Internal.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "ws/backend_client.h"

namespace ws {

class MediaBrowserClient : public BackendClient {
 public:
  Result<ServerIdentity> identity() override;
  Result<std::vector<Library>> libraries() override;
  Result<int64_t> count_items(const Library& library) override;
  Result<ItemPage> fetch_page(const Library& library, int64_t start, int64_t size) override;
  Result<MediaItem> fetch_item(const std::string& item_id) override;
  Result<std::vector<MediaItem>> fetch_items(const std::vector<std::string>& item_ids) override;
  Result<Ok> mark_played(const MediaItem& item, int64_t played_at) override;
  Result<Ok> mark_unplayed(const MediaItem& item) override;
  Result<Ok> set_progress(const MediaItem& item, int64_t position_ms) override;
  const HttpStats& stats() const override { return http_->stats(); }

 protected:
  MediaBrowserClient(ServerConfig server, const BackendOptions& options,
                     std::vector<std::pair<std::string, std::string>> auth_headers);

  // The user's libraries (views).
  virtual std::string views_target() const = 0;
  // Items of `types` ("Movie", "Episode", "Series") under a library; size 0 asks only for
  // TotalRecordCount.
  virtual std::string items_target(const std::string& library_id, std::string_view types, int64_t start,
                                   int64_t size) const = 0;
  // One item, as the user sees it (with UserData and ProviderIds).
  virtual std::string item_target(const std::string& item_id) const = 0;
  // The items with these ids (comma-separated, already encoded), as the user sees them, from
  // `start`.
  virtual std::string items_by_id_target(const std::string& ids, int64_t start) const = 0;
  // Mark played (with the date) or, without a date, unplayed.
  virtual HttpRequest played_request(const std::string& item_id, std::optional<int64_t> played_at) const = 0;
  virtual HttpRequest progress_request(const std::string& item_id, int64_t position_ms) const = 0;

  const ServerConfig& server() const { return server_; }

 private:
  Result<Ok> require_user() const;
  std::string items_target(const Library& library, int64_t start, int64_t size) const {
    return items_target(library.id, library.kind == MediaType::movie ? "Movie" : "Episode", start, size) +
           change_filter(library.changed_since);
  }
  // `&MinDateLastSavedForUser=<ISO, UTC>` ("" when 0). Jellyfin (all versions) compares it with
  // the item's DateLastSaved (metadata), Emby with the user's data save time; the ForUser name
  // because Jellyfin ≤ 10.10 binds `MinDateLastSaved` alone wrongly (docs/configuration.md).
  static std::string change_filter(int64_t since);
  // Fills `parent` and the series year of episodes from the cache. Unknown series are read once:
  // the whole library's series in bulk the first time a page needs several, else one by one.
  Result<Ok> resolve_series(std::vector<MediaItem>& items, const std::string& library_id);
  Result<Ok> prime_series(const std::string& library_id);
  Result<Ok> write(HttpRequest request);

  ServerConfig server_;
  std::unique_ptr<BackendHttp> http_;
  std::shared_ptr<SeriesCache> series_;
};

// Fields asked with every item list: what parse_mediabrowser_item reads beyond the defaults.
inline constexpr std::string_view kMediaBrowserFields = "ProviderIds,Path,DateCreated,PremiereDate";

}  // namespace ws
