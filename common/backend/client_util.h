// Internal helpers shared by the three clients: query strings, the BackendHttp set-up from a
// ServerConfig, and the "ask until the page is full" loop. Not part of ws_backend's face.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ws/backend_client.h"
#include "ws/backend_http.h"
#include "ws/page_reader.h"

namespace ws::backend_detail {

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view text);

// "?a=1&b=x%20y" built in order; values are encoded, names are taken as written.
class Query {
 public:
  Query& add(std::string_view name, std::string_view value);
  Query& add(std::string_view name, int64_t value) { return add(name, std::to_string(value)); }
  std::string str() const { return text_; }

 private:
  std::string text_;
};

// The BackendHttp for a server: timeouts and TLS from the config (or the options' overrides),
// the transport from the options' seam, the token registered as a secret.
std::unique_ptr<BackendHttp> make_http(const ServerConfig& server, const BackendOptions& options,
                                       std::vector<std::pair<std::string, std::string>> default_headers);

// Calls `chunk(start, size)` until `size` items are gathered, the reported total is reached, or a
// chunk comes back empty (the library shrank). The result's total is the last one reported.
struct Chunk {
  std::vector<MediaItem> items;
  int64_t entries = 0;  // entries the server sent (parsed or not)
  int64_t skipped = 0;  // of those, not a movie/episode or unreadable
  int64_t total = 0;    // the server's total; when it gives none, the chunk estimates one
};
using ChunkFetcher = std::function<Result<Chunk>(int64_t start, int64_t size)>;
Result<ItemPage> fill_page(int64_t start, int64_t size, const ChunkFetcher& chunk);

// `ids` without empty and repeated ones, cut into batches of at most `per_batch` (fetch_items).
std::vector<std::vector<std::string>> id_batches(const std::vector<std::string>& ids, size_t per_batch);

// GET `target` and read it as a page of items (or series) in `format`: with simdjson,
// or, when it declines the body, with the nlohmann reference readers (plex_items_page,
// mediabrowser_items_page, ...). The response keeps its headers (Plex's paging total).
Result<HttpResponse> read_items_page(BackendHttp& http, PageFormat format, std::string target,
                                     std::string_view server, ItemsPage& out);
Result<HttpResponse> read_series_page(BackendHttp& http, PageFormat format, std::string target,
                                      SeriesPage& out);

// An error for a call that needs something the config does not have.
Error config_error(const ServerConfig& server, std::string what);

}  // namespace ws::backend_detail
