// The fields of a `job.fetch` (docs/protocol.md), read and checked once so the fetcher's code
// works on a typed value. Errors name the field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ws/media_item.h"
#include "ws/protocol.h"
#include "ws/result.h"

namespace ws {

struct FetchJob {
  enum class Kind { plan, pages, items };
  std::string server;
  Kind kind = Kind::plan;
  // kind == plan or pages: an incremental import's delta (protocol `import: "delta"`) lists only
  // what changed since `since` (unix seconds > 0); 0: the whole libraries.
  int64_t since = 0;
  // kind == pages:
  std::string library;
  MediaType library_kind = MediaType::movie;
  int64_t start = 0;
  int64_t count = 0;
  int64_t page_size = 0;  // 0: the fetcher's default
  // kind == items (the one-item fetch of a webhook, docs/protocol.md): the server's item ids.
  std::vector<std::string> items;
};

// Reads a job.fetch body. `server` is always needed; plan and pages jobs may carry `import`
// ("full", the default, or "delta", which needs `since` > 0); `library`, `library_kind`, `start` and
// `count` for pages jobs; `page_size` is optional (1..10000 when given); `items` (1 to
// protocol::kMaxFetchItems non-empty strings) for items jobs.
Result<FetchJob> parse_fetch_job(const nlohmann::json& body);

}  // namespace ws
