// The fast path of the backend clients' paging (issue 10): a page body read with simdjson's DOM
// parser straight into items, without an nlohmann DOM per page. The parser is the calling
// thread's own, reused page after page by every client on that thread (a fetcher serving four
// servers holds one, not four: its buffers grow to the largest page read).
// It reads exactly what the nlohmann readers of ws/plex_items.h and ws/mediabrowser_items.h
// read — they stay the reference, and tests/backend and the fuzz targets compare the two entry by
// entry: the same lenient accessors (numbers as strings, nulls, wrong types; ws/json_fields.h),
// the last of duplicate keys, ProviderIds in nlohmann's key order.
//
// simdjson validates the whole body (UTF-8, grammar, numbers) as nlohmann does, but refuses a few
// bodies nlohmann reads: integers beyond 64 bits (nlohmann reads a double), a UTF-8 BOM, bytes
// after a NUL, nesting deeper than 1024. For those, and any other refusal, the readers return
// nullopt and the caller parses the body with nlohmann (BackendHttp::fetch_read), so no body
// reads differently, and none is refused that was read before.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ws/parsed_page.h"

namespace ws {

enum class PageFormat { plex, mediabrowser };  // Plex MediaContainer; Jellyfin/Emby query result

// A page of movies/episodes; `server` is copied into each item. `body` is padded for simdjson in
// place and given back unchanged. nullopt when simdjson refuses the body.
std::optional<ItemsPage> fast_items_page(PageFormat format, std::string& body, std::string_view server);
// A page of series (type=2 on Plex, IncludeItemTypes=Series on Jellyfin/Emby).
std::optional<SeriesPage> fast_series_page(PageFormat format, std::string& body);

}  // namespace ws
