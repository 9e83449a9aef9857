// Rule 6: a file holding several episodes (S01E01-E02) is one item on the server but one record
// per episode in the state, so each episode keeps its own watched state on other servers.
#include "ws/mapper.h"

namespace ws {

bool is_multi_episode(const MediaItem& item, int max) {
  return item.type == MediaType::episode && item.episode >= 0 && item.episode_end > item.episode && max > 1;
}

std::vector<MediaItem> expand_multi_episode(const MediaItem& item, int max) {
  std::vector<MediaItem> out;
  if (!is_multi_episode(item, max)) {
    out.push_back(item);
    return out;
  }
  const int64_t span = static_cast<int64_t>(item.episode_end) - item.episode + 1;
  const int count = span < max ? static_cast<int>(span) : max;
  out.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    MediaItem& part = out.emplace_back(item);
    part.episode = item.episode + i;
    if (i == 0) continue;
    // The file's own ids name its first episode; later parts match through the series.
    part.guids.clear();
    // A legacy relative id points at the first episode; each part gets its own position.
    if (part.relative && part.relative->episode == item.episode &&
        (item.season < 0 || part.relative->season == item.season)) {
      part.relative->episode = part.episode;
    } else {
      part.relative.reset();
    }
  }
  return out;
}

}  // namespace ws
