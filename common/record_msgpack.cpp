#include "record_msgpack.h"

#include "msgpack_io.h"
#include "ws/text.h"

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>
#include <vector>

namespace ws::record_msgpack {
namespace {

// Layout 2 writes the well-known guid sources as these small numbers (their index).
constexpr std::string_view kSources[] = {"imdb", "tmdb", "tvdb", "tvmaze", "tvrage", "anidb"};

int source_code(std::string_view source) {
  for (size_t i = 0; i < std::size(kSources); ++i)
    if (kSources[i] == source) return static_cast<int>(i);
  return -1;
}

// 1 to 18 digits without a leading zero (or "0"): exactly what std::to_string gives back.
bool canonical_decimal(std::string_view s, uint64_t& value) {
  if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return false;
  value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}


// Layout 2's own forms on top of the common writer: ids in their smallest exact form, guid
// sources as small numbers.
class Writer : public msgpack::Writer {
 public:
  using msgpack::Writer::Writer;
  // An id-like text in its smallest exact form (layout 2): a canonical decimal number as an
  // integer (Plex and Emby ids, numeric guids), 32 lowercase hex digits as 16 bytes of bin8
  // (Jellyfin ids), anything else as a string. read_compact gives back the same text.
  void compact(std::string_view s) {
    uint64_t number = 0;
    if (canonical_decimal(s, number)) return unsigned_int(number);
    if (is_hex32_lower(s)) {
      byte(0xc4);
      byte(16);
      append_hex32_bytes(out_, s);
      return;
    }
    str(s);
  }
  void guids(const Guids& g) {
    map(g.size());
    for (const auto& [source, value] : g) {
      if (int code = source_code(source); code >= 0) {
        unsigned_int(static_cast<uint64_t>(code));
      } else {
        str(source);
      }
      compact(value);
    }
  }

};



// Layout 2, positional: the record is an array of its fields in this order, trailing fields at
// their default left out (movies end at `metadata`, most episodes at `parent`); the id is the
// LMDB key and is not repeated.
enum RecordField : size_t {
  kType, kWatched, kUpdated, kUpdatedAt, kCreatedAt, kVia, kTitle, kYear, kGuids, kMetadata,
  kSeason, kEpisode, kParent, kProgress, kUnmarkedAt, kRecordFields
};
// A server's metadata: an array in this order, trailing defaults left out.
enum MetaField : size_t {
  kItemId, kLibraryId, kMetaWatched, kPlayedAt, kAddedAt, kSeriesId, kProgressMs, kEpisodeEnd,
  kIgnoredWrites, kIgnoredWatched, kMetaFields
};

size_t meta_length(const ServerMeta& m) {
  if (m.ignored_watched) return kIgnoredWatched + 1;
  if (m.ignored_writes != 0) return kIgnoredWrites + 1;
  if (m.episode_end != -1) return kEpisodeEnd + 1;
  if (m.progress_ms != 0) return kProgressMs + 1;
  if (!m.series_id.empty()) return kSeriesId + 1;
  if (m.added_at != 0) return kAddedAt + 1;
  if (m.played_at != 0) return kPlayedAt + 1;
  if (m.watched) return kMetaWatched + 1;
  if (!m.library_id.empty()) return kLibraryId + 1;
  if (!m.item_id.empty()) return kItemId + 1;
  return 0;
}

void write_meta(Writer& w, const ServerMeta& m) {
  const size_t n = meta_length(m);
  w.array(n);
  for (size_t f = 0; f < n; ++f) {
    switch (static_cast<MetaField>(f)) {
      case kItemId: w.compact(m.item_id); break;
      case kLibraryId: w.compact(m.library_id); break;
      case kMetaWatched: w.boolean(m.watched); break;
      case kPlayedAt: w.signed_int(m.played_at); break;
      case kAddedAt: w.signed_int(m.added_at); break;
      case kSeriesId: w.compact(m.series_id); break;
      case kProgressMs: w.signed_int(m.progress_ms); break;
      case kEpisodeEnd: w.signed_int(m.episode_end); break;
      case kIgnoredWrites: w.signed_int(m.ignored_writes); break;
      case kIgnoredWatched: w.boolean(m.ignored_watched); break;
      case kMetaFields: break;
    }
  }
}

size_t record_length(const Record& r) {
  if (r.unmarked_at != 0) return kUnmarkedAt + 1;
  if (!(r.progress == Progress{})) return kProgress + 1;
  if (!r.parent.empty()) return kParent + 1;
  if (r.episode != -1) return kEpisode + 1;
  if (r.season != -1) return kSeason + 1;
  return kMetadata + 1;  // the fields before it are nearly always set
}

// Layout 2's own forms on top of the common reader.
class Reader : public msgpack::Reader {
 public:
  using msgpack::Reader::Reader;
  // What Writer::compact writes: a string, an unsigned integer, or 16 bytes of bin8.
  bool compact(std::string& out) {
    if (pos_ >= b_.size()) return false;
    const uint8_t t = static_cast<uint8_t>(b_[pos_]);
    if (t < 0x80 || (t >= 0xcc && t <= 0xcf)) {
      uint64_t u = 0;
      if (!integer(u) || u > 999'999'999'999'999'999ull) return false;  // at most 18 digits, as written
      out = std::to_string(u);
      return true;
    }
    if (t == 0xc4) {
      if (b_.size() - pos_ < 18 || static_cast<uint8_t>(b_[pos_ + 1]) != 16) return false;
      out.clear();
      append_bytes_hex32(out, b_.substr(pos_ + 2, 16));
      pos_ += 18;
      return true;
    }
    return str(out);
  }
  // Layout 2's guids: source (a small number for the well-known ones, else its name) -> value.
  bool compact_guids(Guids& g) {
    g.clear();
    size_t n;
    if (!map(n)) return false;
    for (size_t i = 0; i < n; ++i) {
      std::string source, value;
      if (pos_ < b_.size() && static_cast<uint8_t>(b_[pos_]) < std::size(kSources)) {
        source = kSources[static_cast<uint8_t>(b_[pos_++])];
      } else if (!str(source) || source_code(source) >= 0) {
        return false;
      }
      if (!compact(value) || !g.emplace(std::move(source), std::move(value)).second) return false;
    }
    return true;
  }
};


bool read_meta(Reader& r, ServerMeta& m) {
  m = ServerMeta{};
  size_t n;
  if (!r.array(n) || n > kMetaFields) return false;
  for (size_t f = 0; f < n; ++f) {
    bool ok = false;
    switch (static_cast<MetaField>(f)) {
      case kItemId: ok = r.compact(m.item_id); break;
      case kLibraryId: ok = r.compact(m.library_id); break;
      case kMetaWatched: ok = r.boolean(m.watched); break;
      case kPlayedAt: ok = r.exact(m.played_at); break;
      case kAddedAt: ok = r.exact(m.added_at); break;
      case kSeriesId: ok = r.compact(m.series_id); break;
      case kProgressMs: ok = r.exact(m.progress_ms); break;
      case kEpisodeEnd: ok = r.exact(m.episode_end); break;
      case kIgnoredWrites: ok = r.exact(m.ignored_writes); break;
      case kIgnoredWatched: ok = r.boolean(m.ignored_watched); break;
      case kMetaFields: break;
    }
    if (!ok) return false;
  }
  return true;
}

// Layout 1 (MessagePack of the JSON form, keys sorted), read only to migrate a store of schema
// version 1: a server's `path`, `title` and `episode_title`, no longer kept, are skipped.
bool read_meta_v1(Reader& r, ServerMeta& m) {
  m = ServerMeta{};
  size_t n;
  if (!r.map(n)) return false;
  for (size_t i = 0; i < n; ++i) {
    std::string_view key;
    if (!r.str(key)) return false;
    if (r.nil()) continue;  // get() skips a null field
    bool ok = false;
    std::string_view dropped;
    if (key == "added_at") ok = r.integer(m.added_at);
    else if (key == "episode_end") ok = r.integer(m.episode_end);
    else if (key == "episode_title" || key == "path" || key == "title") ok = r.str(dropped);
    else if (key == "ignored_watched") ok = r.boolean(m.ignored_watched);
    else if (key == "ignored_writes") ok = r.integer(m.ignored_writes);
    else if (key == "item_id") ok = r.str(m.item_id);
    else if (key == "library_id") ok = r.str(m.library_id);
    else if (key == "played_at") ok = r.integer(m.played_at);
    else if (key == "progress_ms") ok = r.integer(m.progress_ms);
    else if (key == "series_id") ok = r.str(m.series_id);
    else if (key == "watched") ok = r.boolean(m.watched);
    if (!ok) return false;
  }
  return true;
}

bool read_progress_v1(Reader& r, Progress& p) {
  p = Progress{};
  size_t n;
  if (!r.map(n)) return false;
  for (size_t i = 0; i < n; ++i) {
    std::string_view key;
    if (!r.str(key)) return false;
    if (r.nil()) continue;
    bool ok = false;
    if (key == "at") ok = r.integer(p.at);
    else if (key == "ms") ok = r.integer(p.ms);
    else if (key == "via") ok = r.str(p.via);
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void write(std::string& out, const Record& r) {
  Writer w(out);
  const size_t n = record_length(r);
  w.array(n);
  for (size_t f = 0; f < n; ++f) {
    switch (static_cast<RecordField>(f)) {
      case kType: w.unsigned_int(r.type == MediaType::movie ? 0 : 1); break;
      case kWatched: w.boolean(r.watched); break;
      case kUpdated: w.signed_int(r.updated); break;
      case kUpdatedAt: w.signed_int(r.updated_at); break;
      case kCreatedAt: w.signed_int(r.created_at); break;
      case kVia: w.str(r.via); break;
      case kTitle: w.str(r.title); break;
      case kYear: w.signed_int(r.year); break;
      case kGuids: w.guids(r.guids); break;
      case kMetadata:
        w.map(r.metadata.size());
        for (const auto& [server, meta] : r.metadata) {
          w.str(server);
          write_meta(w, meta);
        }
        break;
      case kSeason: w.signed_int(r.season); break;
      case kEpisode: w.signed_int(r.episode); break;
      case kParent: w.guids(r.parent); break;
      case kProgress:
        w.array(3);
        w.signed_int(r.progress.ms);
        w.str(r.progress.via);
        w.signed_int(r.progress.at);
        break;
      case kUnmarkedAt: w.signed_int(r.unmarked_at); break;
      case kRecordFields: break;
    }
  }
}

namespace {

// The metadata map: every entry (only_server null), or only `*only_server`'s, the others read
// and checked all the same (their fields into a scratch, their names for duplicates).
bool read_metadata_map(Reader& in, Record& r, const std::string* only_server) {
  size_t servers;
  if (!in.map(servers)) return false;
  if (!only_server) {
    for (size_t s = 0; s < servers; ++s) {
      std::string server;
      ServerMeta meta;
      if (!in.str(server) || !read_meta(in, meta) || !r.metadata.emplace(std::move(server), std::move(meta)).second)
        return false;
    }
    return true;
  }
  std::vector<std::string_view> seen;
  seen.reserve(std::min<size_t>(servers, 16));
  ServerMeta scratch;
  for (size_t s = 0; s < servers; ++s) {
    std::string_view server;
    if (!in.str(server) || std::find(seen.begin(), seen.end(), server) != seen.end()) return false;
    seen.push_back(server);
    if (server != *only_server) {
      if (!read_meta(in, scratch)) return false;
    } else {
      ServerMeta meta;
      if (!read_meta(in, meta)) return false;
      r.metadata.emplace(std::string(server), std::move(meta));
    }
  }
  return true;
}

}  // namespace

bool read(std::string_view bytes, Record& record) { return read(bytes, record, nullptr, nullptr); }

bool read_metadata(std::string_view bytes, size_t offset, Record& record) {
  if (offset > bytes.size()) return false;
  Reader in(bytes.substr(offset));
  size_t servers;
  if (!in.map(servers)) return false;
  for (size_t s = 0; s < servers; ++s) {
    std::string server;
    ServerMeta meta;
    if (!in.str(server) || !read_meta(in, meta)) return false;
    record.metadata.emplace(std::move(server), std::move(meta));  // one already there stays
  }
  return true;
}

bool read(std::string_view bytes, Record& record, const std::string* only_server, size_t* metadata_at) {
  Record r;
  Reader in(bytes);
  if (metadata_at) *metadata_at = std::string_view::npos;
  size_t n;
  if (!in.array(n) || n == 0 || n > kRecordFields) return false;
  for (size_t f = 0; f < n; ++f) {
    bool ok = false;
    switch (static_cast<RecordField>(f)) {
      case kType: {
        uint8_t type = 2;
        ok = in.exact(type) && type <= 1;
        r.type = type == 0 ? MediaType::movie : MediaType::episode;
        break;
      }
      case kWatched: ok = in.boolean(r.watched); break;
      case kUpdated: ok = in.exact(r.updated); break;
      case kUpdatedAt: ok = in.exact(r.updated_at); break;
      case kCreatedAt: ok = in.exact(r.created_at); break;
      case kVia: ok = in.str(r.via); break;
      case kTitle: ok = in.str(r.title); break;
      case kYear: ok = in.exact(r.year); break;
      case kGuids: ok = in.compact_guids(r.guids); break;
      case kMetadata:
        if (metadata_at) *metadata_at = in.pos();
        ok = read_metadata_map(in, r, only_server);
        break;
      case kSeason: ok = in.exact(r.season); break;
      case kEpisode: ok = in.exact(r.episode); break;
      case kParent: ok = in.compact_guids(r.parent); break;
      case kProgress: {
        size_t three;
        ok = in.array(three) && three == 3 && in.exact(r.progress.ms) && in.str(r.progress.via) &&
             in.exact(r.progress.at);
        break;
      }
      case kUnmarkedAt: ok = in.exact(r.unmarked_at); break;
      case kRecordFields: break;
    }
    if (!ok) return false;
  }
  if (!in.at_end()) return false;
  record = std::move(r);
  return true;
}

bool read_v1(std::string_view bytes, Record& record) {
  Record r;
  Reader in(bytes);
  size_t n;
  if (!in.map(n)) return false;
  bool typed = false;
  for (size_t i = 0; i < n; ++i) {
    std::string_view key;
    if (!in.str(key)) return false;
    if (in.nil()) continue;
    bool ok = false;
    if (key == "created_at") {
      ok = in.integer(r.created_at);
    } else if (key == "episode") {
      ok = in.integer(r.episode);
    } else if (key == "guids") {
      ok = in.string_map(r.guids);
    } else if (key == "id") {
      ok = in.integer(r.id);
    } else if (key == "metadata") {
      r.metadata.clear();
      size_t servers;
      ok = in.map(servers);
      for (size_t s = 0; ok && s < servers; ++s) {
        std::string_view server;
        ServerMeta meta;
        ok = in.str(server) && read_meta_v1(in, meta);
        if (ok) r.metadata[std::string(server)] = std::move(meta);
      }
    } else if (key == "parent") {
      ok = in.string_map(r.parent);
    } else if (key == "progress") {
      ok = read_progress_v1(in, r.progress);
    } else if (key == "season") {
      ok = in.integer(r.season);
    } else if (key == "title") {
      ok = in.str(r.title);
    } else if (key == "type") {
      std::string_view type;
      ok = in.str(type) && (type == "movie" || type == "episode");
      if (ok) r.type = type == "movie" ? MediaType::movie : MediaType::episode;
      typed = typed || ok;
    } else if (key == "unmarked_at") {
      ok = in.integer(r.unmarked_at);
    } else if (key == "updated") {
      ok = in.integer(r.updated);
    } else if (key == "updated_at") {
      ok = in.integer(r.updated_at);
    } else if (key == "via") {
      ok = in.str(r.via);
    } else if (key == "watched") {
      ok = in.boolean(r.watched);
    } else if (key == "year") {
      ok = in.integer(r.year);
    }
    if (!ok) return false;
  }
  if (!typed || !in.at_end()) return false;  // no type: the DOM path says what is wrong
  record = std::move(r);
  return true;
}

}  // namespace ws::record_msgpack
