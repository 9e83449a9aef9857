#include "ws/state_access.h"

#include <cstdio>

#include "ws/cli_context.h"
#include "ws/record.h"

namespace ws {

Result<std::unique_ptr<Store>> open_state_read_only(const CliContext& ctx) {
  const auto dir = ctx.paths.db_dir();
  std::error_code ec;
  if (!std::filesystem::exists(dir / "data.mdb", ec)) return std::unique_ptr<Store>{};
  Store::Options options;
  options.dir = dir;
  options.read_only = true;
  auto store = Store::open(options);
  if (!store && store.error().kind == ErrorKind::not_found) return std::unique_ptr<Store>{};
  return store;
}

std::string display_title(const Record& record) {
  std::string out = record.title.empty() ? "(untitled)" : record.title;
  if (record.type == MediaType::episode) {
    if (const std::string label = episode_label(record.season, record.episode); !label.empty()) out += " " + label;
  } else if (record.year > 0) {
    out += " (" + std::to_string(record.year) + ")";
  }
  return out;
}

}  // namespace ws
