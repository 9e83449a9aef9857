// The words of the mapper's reason sentences, and the test of "has something to match by".
#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "mapper_internal.h"

namespace ws::mapper_detail {

std::string format_time(int64_t unix_seconds) {
  if (unix_seconds <= 0) return "an unknown date";
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "an unknown date";
  char buf[32];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf, n);
}

std::string format_position(int64_t ms) {
  if (ms < 0) ms = 0;
  const int64_t s = ms / 1000;
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%" PRId64 ":%02d:%02d", s / 3600, static_cast<int>(s / 60 % 60),
                  static_cast<int>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%d:%02d", static_cast<int>(s / 60), static_cast<int>(s % 60));
  }
  return buf;
}

std::string describe(const MediaItem& item) {
  std::string out;
  out.reserve(item.title.size() + item.item_id.size() + 32);
  out += item.type == MediaType::episode ? "episode '" : "movie '";
  out += item.title;
  out += '\'';
  char buf[48];
  if (item.type == MediaType::episode) {
    if (const std::string label = episode_label(item.season, item.episode); !label.empty()) out += " " + label;
  } else if (item.year > 0) {
    std::snprintf(buf, sizeof buf, " (%d)", item.year);
    out += buf;
  }
  out += ", item ";
  out += item.item_id.empty() ? std::string("without id") : item.item_id;
  return out;
}

const char* missing_ids(const MediaItem& item) {
  if (!item.guids.empty() || item.relative) return nullptr;
  if (item.type == MediaType::movie) return "no external ids";
  if (item.parent.empty()) return "no external ids, and no series ids";
  if (item.season < 0 || item.episode < 0) {
    return "no external ids, and series ids but no season and episode numbers";
  }
  return nullptr;
}

}  // namespace ws::mapper_detail
