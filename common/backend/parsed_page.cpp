#include "ws/parsed_page.h"

namespace ws {
namespace {

bool same_entry(const Result<MediaItem>& a, const Result<MediaItem>& b) {
  if (a.ok() != b.ok()) return false;
  if (a.ok()) return a.value() == b.value();
  return a.error().kind == b.error().kind && a.error().message == b.error().message;
}

}  // namespace

bool same_page(const ItemsPage& a, const ItemsPage& b) {
  if (a.total != b.total || a.entries.size() != b.entries.size()) return false;
  for (size_t i = 0; i < a.entries.size(); ++i)
    if (!same_entry(a.entries[i], b.entries[i])) return false;
  return true;
}

bool same_page(const SeriesPage& a, const SeriesPage& b) {
  if (a.total != b.total || a.entries.size() != b.entries.size()) return false;
  for (size_t i = 0; i < a.entries.size(); ++i)
    if (a.entries[i].id != b.entries[i].id || a.entries[i].info.guids != b.entries[i].info.guids ||
        a.entries[i].info.year != b.entries[i].info.year)
      return false;
  return true;
}

}  // namespace ws
