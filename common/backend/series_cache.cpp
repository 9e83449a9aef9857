#include "ws/series_cache.h"

namespace ws {

std::optional<SeriesInfo> SeriesCache::find(const std::string& series_id) const {
  std::lock_guard lock(mutex_);
  auto it = series_.find(series_id);
  if (it == series_.end()) return std::nullopt;
  return it->second;
}

void SeriesCache::put(const std::string& series_id, SeriesInfo info) {
  std::lock_guard lock(mutex_);
  series_[series_id] = std::move(info);
}

size_t SeriesCache::size() const {
  std::lock_guard lock(mutex_);
  return series_.size();
}

bool SeriesCache::claim_library(const std::string& library_id) {
  std::lock_guard lock(mutex_);
  return libraries_.insert(library_id).second;
}

}  // namespace ws
