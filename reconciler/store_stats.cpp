// Store::stats(): what `db:stats` prints. Decodes every record once; fine at the seed's scale
// (hundreds of thousands of records), not meant for a hot path.
#include <filesystem>

#include "store_impl.h"
#include "store_ops.h"

namespace ws {

StoreStats Store::stats(int max_ignored) const {
  StoreStats stats;
  if (!impl_->env) return stats;
  const auto& env = *impl_->env;
  auto txn = lmdb::txn::begin(env.env.handle(), nullptr, MDB_RDONLY);

  auto cursor = lmdb::cursor::open(txn, env.state);
  lmdb::val key, value;
  for (bool more = cursor.get(key, value, MDB_FIRST); more; more = cursor.get(key, value, MDB_NEXT)) {
    if (key.size() != 8) continue;
    auto record = store_ops::get_record(txn, env, store_ops::from_be64({key.data(), key.size()}));
    if (!record) continue;
    ++stats.records;
    ++(record->type == MediaType::movie ? stats.movies : stats.episodes);
    if (record->watched) ++stats.watched;
    for (const auto& [server, meta] : record->metadata) {
      ++stats.per_server[server];
      if (meta.ignored_writes > 0 && meta.watched == meta.ignored_watched) {
        auto& ignored = stats.ignored_writes[server];
        ++ignored.items;
        if (meta.writes_given_up(max_ignored)) ++ignored.given_up;
      }
    }
  }
  cursor.close();

  // One index holds both kinds of keys (store_ops.h): count each.
  auto pointers = lmdb::cursor::open(txn, env.pointers);
  lmdb::val pkey, pvalue;
  for (bool more = pointers.get(pkey, pvalue, MDB_FIRST); more; more = pointers.get(pkey, pvalue, MDB_NEXT))
    ++(store_ops::is_backend_disk_key({pkey.data(), pkey.size()}) ? stats.backend_ids : stats.pointers);
  pointers.close();
  stats.outbox = lmdb::dbi(env.outbox).size(txn);
  stats.pointer_conflicts = static_cast<uint64_t>(store_ops::meta_get_int(txn, env, kMetaPointerConflicts, 0));
  stats.schema_version = static_cast<int>(store_ops::meta_get_int(txn, env, kMetaSchemaVersion, 0));

  // lastSync values: meta keys "last_sync/<import|full_import|delta_import|export>/<server>".
  auto meta = lmdb::cursor::open(txn, env.meta);
  const std::string prefix = "last_sync/";
  lmdb::val mkey(prefix), mvalue;
  for (bool more = meta.get(mkey, mvalue, MDB_SET_RANGE); more; more = meta.get(mkey, mvalue, MDB_NEXT)) {
    std::string name(mkey.data(), mkey.size());
    if (name.compare(0, prefix.size(), prefix) != 0) break;
    std::string rest = name.substr(prefix.size());
    const size_t slash = rest.find('/');
    if (slash == std::string::npos) continue;
    const std::string direction = rest.substr(0, slash);
    const std::string server = rest.substr(slash + 1);
    const int64_t when = store_ops::meta_get_int(txn, env, name, 0);
    if (direction == "import") {
      stats.last_sync[server].import = when;
    } else if (direction == "full_import") {
      stats.last_sync[server].full_import = when;
    } else if (direction == "delta_import") {
      stats.last_sync[server].delta_import = when;
    } else if (direction == "export") {
      stats.last_sync[server].export_ = when;
    }
  }
  meta.close();

  MDB_envinfo info{};
  lmdb::env_info(env.env.handle(), &info);
  stats.map_bytes = info.me_mapsize;
  std::error_code ec;
  auto size = std::filesystem::file_size(env.dir / "data.mdb", ec);
  stats.file_bytes = ec ? 0 : size;
  return stats;
}

}  // namespace ws
