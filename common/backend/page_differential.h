// The differential check of the pages' two readers, for tests and fuzz targets (not the product):
// a body read with fast_items_page / fast_series_page (simdjson) must read exactly as the nlohmann reference reads it
// (plex_items_page / mediabrowser_items_page and the series pages), entry by entry, errors
// included; and a body simdjson reads must be one nlohmann reads (BackendHttp::fetch_read falls
// back to nlohmann only when simdjson refuses).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ws/mediabrowser_items.h"
#include "ws/page_reader.h"
#include "ws/plex_items.h"

namespace ws::testing {

struct PageComparison {
  std::string disagreement;  // "" when the two readers agree
  bool fast = false;         // simdjson read the body (else the clients fall back to nlohmann)
  bool reference = false;    // nlohmann read the body
};

inline std::string describe_entry(const Result<MediaItem>& entry) {
  if (!entry) return "error: " + entry.error().message;
  return nlohmann::json(entry.value()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Items and series of `body` read both ways, as a page of `format`.
inline PageComparison compare_page(PageFormat format, const std::string& body) {
  constexpr std::string_view kServer = "srv";
  PageComparison out;
  std::optional<nlohmann::json> dom;
  try {
    dom = nlohmann::json::parse(body);  // as BackendHttp parses a body
  } catch (const nlohmann::json::exception&) {
  }
  out.reference = dom.has_value();
  std::string padded = body;
  const auto items = fast_items_page(format, padded, kServer);
  if (padded != body) out.disagreement = "the fast reader changed the body";
  const auto series = fast_series_page(format, padded);
  if (padded != body) out.disagreement = "the fast reader changed the body";
  if (items.has_value() != series.has_value()) out.disagreement = "simdjson read the body once but not twice";
  out.fast = items.has_value();
  if (!out.disagreement.empty() || !out.fast) return out;
  if (!dom) {
    out.disagreement = "simdjson read a body nlohmann refuses";
    return out;
  }
  const bool plex = format == PageFormat::plex;
  const ItemsPage want_items = plex ? plex_items_page(*dom, kServer) : mediabrowser_items_page(*dom, kServer);
  const SeriesPage want_series = plex ? plex_series_page(*dom) : mediabrowser_series_page(*dom);
  if (!same_page(*items, want_items)) {
    out.disagreement = "items differ";
    if (items->total != want_items.total) {
      out.disagreement = "items: totals differ";
    } else if (items->entries.size() != want_items.entries.size()) {
      out.disagreement = "items: " + std::to_string(items->entries.size()) + " entries, nlohmann " +
                         std::to_string(want_items.entries.size());
    } else {
      for (size_t i = 0; i < items->entries.size(); ++i) {
        const std::string got = describe_entry(items->entries[i]), want = describe_entry(want_items.entries[i]);
        if (got != want || !same_page(ItemsPage{{items->entries[i]}, {}}, ItemsPage{{want_items.entries[i]}, {}})) {
          out.disagreement = "items: entry " + std::to_string(i) + " reads " + got + ", nlohmann " + want;
          break;
        }
      }
    }
    return out;
  }
  if (!same_page(*series, want_series)) out.disagreement = "series pages differ";
  return out;
}

}  // namespace ws::testing
