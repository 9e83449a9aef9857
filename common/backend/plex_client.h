// The Plex client (DESIGN §11, Plex). Internal: callers use make_backend_client().
#pragma once

#include <memory>

#include "ws/backend_client.h"
#include "ws/parsed_page.h"

namespace ws {

class PlexClient final : public BackendClient {
 public:
  PlexClient(ServerConfig server, const BackendOptions& options);

  Result<ServerIdentity> identity() override;
  Result<std::vector<Library>> libraries() override;
  Result<int64_t> count_items(const Library& library) override;
  // The query that narrows a section listing to what changed since `since` ("" when 0).
  static std::string change_filter(int64_t since);
  Result<ItemPage> fetch_page(const Library& library, int64_t start, int64_t size) override;
  Result<MediaItem> fetch_item(const std::string& item_id) override;
  Result<std::vector<MediaItem>> fetch_items(const std::vector<std::string>& item_ids) override;
  Result<Ok> mark_played(const MediaItem& item, int64_t played_at) override;
  Result<Ok> mark_unplayed(const MediaItem& item) override;
  Result<Ok> set_progress(const MediaItem& item, int64_t position_ms) override;
  const HttpStats& stats() const override { return http_->stats(); }

 private:
  std::string items_target(const Library& library, int64_t start, int64_t size) const;
  // Fills `parent` and the series year of episodes from the cache, reading unknown series once.
  // Unknown shows are read once: the whole section's shows in bulk the first time a page needs
  // several, the rest in comma-separated batches.
  Result<Ok> resolve_series(std::vector<MediaItem>& items, const std::string& library_id);
  Result<Ok> prime_series(const std::string& library_id);
  Result<nlohmann::json> metadata(const std::string& rating_key);
  // A page of items / shows at `target`, its total from X-Plex-Container-Total-Size when sent.
  Result<ItemsPage> items_page(std::string target);
  Result<SeriesPage> series_page(std::string target);
  Result<Ok> write(const std::string& target);

  ServerConfig server_;
  std::unique_ptr<BackendHttp> http_;
  std::shared_ptr<SeriesCache> series_;
};

}  // namespace ws
