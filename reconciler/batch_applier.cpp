#include "ws/batch_applier.h"

#include "ws/match_keys.h"

namespace ws {

ApplyCounts& ApplyCounts::operator+=(const ApplyCounts& o) {
  fetched += o.fetched;
  matched += o.matched;
  unchanged += o.unchanged;
  created += o.created;
  unmatched += o.unmatched;
  changed += o.changed;
  metadata += o.metadata;
  written += o.written;
  return *this;
}

namespace {

// One item (or one part of a multi-episode file) through the mapper, into `batch`.
void apply_one(WriteBatch& batch, const MediaItem& item, const ApplyOptions& options, const MapContext& ctx,
               ApplyCounts& counts) {
  if (options.listed_keys) {
    if (std::string key = backend_key(item); !key.empty()) options.listed_keys->insert(std::move(key));
  }
  std::optional<Record> stored;
  if (options.skip_unchanged && !options.on_decision && ctx.kind == EventKind::import) {
    // The fast path reads this server's metadata only: the other servers' entries are decoded
    // when the mapper runs.
    stored = batch.find_for(item, ctx.server);
    // The mapper would change nothing: nothing to put, and no reason to word (unless asked for).
    if (stored && import_changes_nothing(*stored, item, ctx)) {
      ++counts.matched;
      ++counts.unchanged;
      return;
    }
    if (stored) batch.complete_found(*stored);
  } else {
    stored = batch.find(item);
  }
  auto result = map_item(stored, item, ctx);
  if (result.unmatched) {
    ++counts.unmatched;
    batch.unmatched_put(item.server, item.item_id, result.reason, item);
    if (options.on_decision) options.on_decision(item, result);
    return;
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

}  // namespace

ApplyCounts apply_items(WriteBatch& batch, const std::vector<MediaItem>& items, const ApplyOptions& options) {
  ApplyCounts counts;
  MapContext ctx;
  ctx.kind = options.kind;
  ctx.last_sync = options.last_sync;
  ctx.now = options.now;
  ctx.options = options.mapper;
  for (const auto& reported : items) {
    ++counts.fetched;
    if (ctx.server != reported.server) ctx.server = reported.server;
    if (!is_multi_episode(reported, options.mapper.multi_episode_max)) {
      apply_one(batch, reported, options, ctx, counts);  // most items: not copied
      continue;
    }
    for (const auto& part : expand_multi_episode(reported, options.mapper.multi_episode_max))
      apply_one(batch, part, options, ctx, counts);
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
