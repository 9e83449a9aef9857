#include "ws/batch_applier.h"

#include "ws/match_keys.h"

namespace ws {

ApplyCounts& ApplyCounts::operator+=(const ApplyCounts& o) {
  fetched += o.fetched;
  matched += o.matched;
  created += o.created;
  unmatched += o.unmatched;
  changed += o.changed;
  metadata += o.metadata;
  written += o.written;
  return *this;
}

ApplyCounts apply_items(WriteBatch& batch, const std::vector<MediaItem>& items, const ApplyOptions& options) {
  ApplyCounts counts;
  for (const auto& reported : items) {
    ++counts.fetched;
    for (const auto& item : expand_multi_episode(reported, options.mapper.multi_episode_max)) {
      if (options.listed_keys) {
        if (std::string key = backend_key(item); !key.empty()) options.listed_keys->insert(std::move(key));
      }
      MapContext ctx;
      ctx.server = item.server;
      ctx.kind = options.kind;
      ctx.last_sync = options.last_sync;
      ctx.now = options.now;
      ctx.options = options.mapper;
      auto stored = batch.find(item);
      auto result = map_item(stored, item, ctx);
      if (result.unmatched) {
        ++counts.unmatched;
        batch.unmatched_put(item.server, item.item_id, result.reason, item);
        if (options.on_decision) options.on_decision(item, result);
        continue;
      }
      if (stored) ++counts.matched;
      if (result.created) ++counts.created;
      if (result.change == ChangeKind::state || result.change == ChangeKind::progress) ++counts.changed;
      if (result.change == ChangeKind::metadata) ++counts.metadata;
      if (options.changed_at != 0 && result.record.updated_at == ctx.now &&
          (!stored || result.record.updated_at != stored->updated_at))
        result.record.updated_at = options.changed_at;
      if (result.change != ChangeKind::none || result.created) {
        batch.put(result.record, stored);
        ++counts.written;
      }
      if (options.on_decision) options.on_decision(item, result);
    }
  }
  return counts;
}

Result<ApplyCounts> apply_items(Store& store, const std::vector<MediaItem>& items, const ApplyOptions& options) {
  auto batch = store.begin_write();
  auto counts = apply_items(batch, items, options);
  if (options.dry_run) return counts;  // the batch aborts when it goes out of scope
  if (auto committed = batch.commit(); !committed) return committed.error();
  return counts;
}

}  // namespace ws
