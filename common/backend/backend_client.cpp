#include "ws/backend_client.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

#include "client_util.h"
#include "emby_client.h"
#include "jellyfin_client.h"
#include "ws/mediabrowser_items.h"
#include "ws/plex_items.h"
#include "plex_client.h"

namespace ws {

std::unique_ptr<BackendClient> make_backend_client(const ServerConfig& server, const BackendOptions& options) {
  switch (server.type) {
    case ServerType::plex: return std::make_unique<PlexClient>(server, options);
    case ServerType::jellyfin: return std::make_unique<JellyfinClient>(server, options);
    case ServerType::emby: return std::make_unique<EmbyClient>(server, options);
  }
  throw std::logic_error("make_backend_client: unknown server type");
}

Result<int64_t> for_each_page(BackendClient& client, const Library& library, int64_t page_size,
                              const std::function<Result<Ok>(ItemPage&)>& on_page) {
  if (page_size <= 0) page_size = 500;
  int64_t seen = 0;
  int64_t start = 0;
  for (;;) {
    auto page = client.fetch_page(library, start, page_size);
    if (!page) return page.error();
    if (page->covered() == 0) break;
    seen += static_cast<int64_t>(page->items.size());
    start += page->covered();
    const int64_t total = page->total;
    if (auto r = on_page(*page); !r) return r.error();
    if (start >= total) break;
  }
  return seen;
}

namespace backend_detail {

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Query& Query::add(std::string_view name, std::string_view value) {
  text_ += text_.empty() ? '?' : '&';
  text_.append(name);
  text_ += '=';
  text_ += url_encode(value);
  return *this;
}

std::unique_ptr<BackendHttp> make_http(const ServerConfig& server, const BackendOptions& options,
                                       std::vector<std::pair<std::string, std::string>> default_headers) {
  TransportOptions transport;
  transport.base_url = server.url;
  while (!transport.base_url.empty() && transport.base_url.back() == '/') transport.base_url.pop_back();
  transport.total_timeout = options.timeout.count() > 0 ? options.timeout
                                                        : std::chrono::milliseconds(std::max(1, server.timeout_s) * 1000LL);
  transport.connect_timeout = options.connect_timeout.count() > 0
                                  ? options.connect_timeout
                                  : std::chrono::milliseconds(std::max(1, server.connect_timeout_s) * 1000LL);
  transport.verify_tls = server.verify_tls;
  auto made = options.transport_factory ? options.transport_factory(transport) : make_curl_transport(transport);
  return std::make_unique<BackendHttp>(server.name, std::move(made), options.retry, std::move(default_headers),
                                       std::vector<std::string>{server.token}, transport.total_timeout);
}

Result<HttpResponse> read_items_page(BackendHttp& http, PageFormat format, std::string target,
                                     std::string_view server, ItemsPage& out) {
  return http.fetch_read(
      HttpRequest{"GET", std::move(target), {}, {}},
      [&](std::string& body) {
        auto page = fast_items_page(format, body, server);
        if (page) out = std::move(*page);
        return page.has_value();
      },
      [&](const nlohmann::json& body) {
        out = format == PageFormat::plex ? plex_items_page(body, server) : mediabrowser_items_page(body, server);
      });
}

Result<HttpResponse> read_series_page(BackendHttp& http, PageFormat format, std::string target,
                                      SeriesPage& out) {
  return http.fetch_read(
      HttpRequest{"GET", std::move(target), {}, {}},
      [&](std::string& body) {
        auto page = fast_series_page(format, body);
        if (page) out = std::move(*page);
        return page.has_value();
      },
      [&](const nlohmann::json& body) {
        out = format == PageFormat::plex ? plex_series_page(body) : mediabrowser_series_page(body);
      });
}

Result<ItemPage> fill_page(int64_t start, int64_t size, const ChunkFetcher& chunk) {
  if (start < 0 || size <= 0)
    return make_error(ErrorKind::invalid_input, "page start must be >= 0 and size > 0 (got start " +
                                                    std::to_string(start) + ", size " + std::to_string(size) + ")");
  ItemPage page;
  page.start = start;
  int64_t position = start;
  int64_t remaining = size;
  while (remaining > 0) {
    auto got = chunk(position, remaining);
    if (!got) return got.error();
    page.total = got->total;
    if (got->entries <= 0) break;
    for (auto& item : got->items) page.items.push_back(std::move(item));
    page.skipped += got->skipped;
    position += got->entries;
    remaining -= got->entries;
    if (position >= page.total) break;
  }
  return page;
}

Error config_error(const ServerConfig& server, std::string what) {
  return make_error(ErrorKind::invalid_input, server.name + ": " + std::move(what));
}

std::vector<std::vector<std::string>> id_batches(const std::vector<std::string>& ids, size_t per_batch) {
  std::vector<std::vector<std::string>> batches;
  std::set<std::string> seen;
  for (const auto& id : ids) {
    if (id.empty() || !seen.insert(id).second) continue;
    if (batches.empty() || batches.back().size() >= std::max<size_t>(1, per_batch)) batches.emplace_back();
    batches.back().push_back(id);
  }
  return batches;
}

}  // namespace backend_detail
}  // namespace ws
