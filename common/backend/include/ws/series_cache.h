// Series ids (external ids and year of a show) by the server's series id, so each series is read
// once per run, not once per episode. Thread-safe: clients of one server on several threads may
// share one.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "ws/guids.h"

namespace ws {

struct SeriesInfo {
  Guids guids;
  int year = 0;
};

class SeriesCache {
 public:
  std::optional<SeriesInfo> find(const std::string& series_id) const;
  void put(const std::string& series_id, SeriesInfo info);
  size_t size() const;
  // True for the first caller per library id: that caller lists the library's series in bulk
  // (a few large requests instead of one per series).
  bool claim_library(const std::string& library_id);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, SeriesInfo> series_;
  std::set<std::string> libraries_;
};

}  // namespace ws
