#include "record_msgpack.h"

#include "ws/text.h"

#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>

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


// MessagePack in nlohmann's choice of encodings (binary_writer::write_msgpack): the smallest
// integer form (non-negative signed numbers as unsigned ones), fixstr/str8/16/32, fixmap/map16/32.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void map(size_t n) {
    if (n <= 15) {
      byte(0x80 | n);
    } else if (n <= 0xffff) {
      byte(0xde);
      be(n, 2);
    } else {
      byte(0xdf);
      be(n, 4);
    }
  }
  void str(std::string_view s) {
    const size_t n = s.size();
    if (n <= 31) {
      byte(0xa0 | n);
    } else if (n <= 0xff) {
      byte(0xd9);
      be(n, 1);
    } else if (n <= 0xffff) {
      byte(0xda);
      be(n, 2);
    } else {
      byte(0xdb);
      be(n, 4);
    }
    out_.append(s);
  }
  void unsigned_int(uint64_t v) {
    if (v < 128) {
      byte(v);
    } else if (v <= 0xff) {
      byte(0xcc);
      be(v, 1);
    } else if (v <= 0xffff) {
      byte(0xcd);
      be(v, 2);
    } else if (v <= 0xffffffff) {
      byte(0xce);
      be(v, 4);
    } else {
      byte(0xcf);
      be(v, 8);
    }
  }
  void signed_int(int64_t v) {
    if (v >= 0) return unsigned_int(static_cast<uint64_t>(v));
    if (v >= -32) {
      byte(static_cast<uint64_t>(v) & 0xff);
    } else if (v >= INT8_MIN) {
      byte(0xd0);
      be(static_cast<uint64_t>(v), 1);
    } else if (v >= INT16_MIN) {
      byte(0xd1);
      be(static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN) {
      byte(0xd2);
      be(static_cast<uint64_t>(v), 4);
    } else {
      byte(0xd3);
      be(static_cast<uint64_t>(v), 8);
    }
  }
  void array(size_t n) {
    if (n <= 15) {
      byte(0x90 | n);
    } else if (n <= 0xffff) {
      byte(0xdc);
      be(n, 2);
    } else {
      byte(0xdd);
      be(n, 4);
    }
  }
  void nil() { byte(0xc0); }
  void boolean(bool b) { byte(b ? 0xc3 : 0xc2); }
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

 private:
  void byte(uint64_t b) { out_.push_back(static_cast<char>(b & 0xff)); }
  void be(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) byte(v >> (8 * i));
  }
  std::string& out_;
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

// A cursor over MessagePack bytes; every read fails (returns false) rather than throwing.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool at_end() const { return pos_ == b_.size(); }
  bool nil() {
    if (pos_ < b_.size() && static_cast<uint8_t>(b_[pos_]) == 0xc0) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool map(size_t& n) {
    uint8_t t;
    if (!byte(t)) return false;
    if ((t & 0xf0) == 0x80) {
      n = t & 0x0f;
      return true;
    }
    if (t == 0xde) return be(n, 2);
    if (t == 0xdf) return be(n, 4);
    return false;
  }
  bool str(std::string_view& s) {
    uint8_t t;
    size_t n = 0;
    if (!byte(t)) return false;
    if ((t & 0xe0) == 0xa0) {
      n = t & 0x1f;
    } else if (t == 0xd9) {
      if (!be(n, 1)) return false;
    } else if (t == 0xda) {
      if (!be(n, 2)) return false;
    } else if (t == 0xdb) {
      if (!be(n, 4)) return false;
    } else {
      return false;
    }
    if (b_.size() - pos_ < n) return false;
    s = b_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool str(std::string& out) {
    std::string_view s;
    if (!str(s)) return false;
    out.assign(s);
    return true;
  }
  // Any integer form, converted as nlohmann's get_to converts (static_cast).
  template <typename T>
  bool integer(T& out) {
    uint8_t t;
    if (!byte(t)) return false;
    uint64_t u = 0;
    if (t < 0x80) {
      out = static_cast<T>(t);
      return true;
    }
    if (t >= 0xe0) {
      out = static_cast<T>(static_cast<int8_t>(t));
      return true;
    }
    switch (t) {
      case 0xcc: if (!be(u, 1)) return false; out = static_cast<T>(u); return true;
      case 0xcd: if (!be(u, 2)) return false; out = static_cast<T>(u); return true;
      case 0xce: if (!be(u, 4)) return false; out = static_cast<T>(u); return true;
      case 0xcf: if (!be(u, 8)) return false; out = static_cast<T>(u); return true;
      case 0xd0: if (!be(u, 1)) return false; out = static_cast<T>(static_cast<int8_t>(u)); return true;
      case 0xd1: if (!be(u, 2)) return false; out = static_cast<T>(static_cast<int16_t>(u)); return true;
      case 0xd2: if (!be(u, 4)) return false; out = static_cast<T>(static_cast<int32_t>(u)); return true;
      case 0xd3: if (!be(u, 8)) return false; out = static_cast<T>(static_cast<int64_t>(u)); return true;
      default: return false;
    }
  }
  bool array(size_t& n) {
    uint8_t t;
    if (!byte(t)) return false;
    if ((t & 0xf0) == 0x90) {
      n = t & 0x0f;
      return true;
    }
    if (t == 0xdc) return be(n, 2);
    if (t == 0xdd) return be(n, 4);
    return false;
  }
  // An integer that must fit T (layout 2 writes nothing else); false when it does not.
  template <typename T>
  bool exact(T& out) {
    const size_t start = pos_;
    uint8_t t;
    if (!byte(t)) return false;
    pos_ = start;
    const bool is_unsigned = t < 0x80 || (t >= 0xcc && t <= 0xcf);
    if (is_unsigned) {
      uint64_t u = 0;
      if (!integer(u) || u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
      out = static_cast<T>(u);
      return true;
    }
    int64_t v = 0;
    if (!integer(v) || v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        v > static_cast<int64_t>(std::numeric_limits<T>::max()))
      return false;
    out = static_cast<T>(v);
    return true;
  }
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
  bool boolean(bool& out) {
    uint8_t t;
    if (!byte(t) || (t != 0xc2 && t != 0xc3)) return false;
    out = t == 0xc3;
    return true;
  }
  bool guids(Guids& g) {
    g.clear();  // a repeated key replaces the whole value, as in the DOM
    size_t n;
    if (!map(n)) return false;
    for (size_t i = 0; i < n; ++i) {
      std::string_view source, value;
      if (!str(source) || !str(value)) return false;
      g[std::string(source)] = std::string(value);
    }
    return true;
  }

 private:
  bool byte(uint8_t& t) {
    if (pos_ >= b_.size()) return false;
    t = static_cast<uint8_t>(b_[pos_++]);
    return true;
  }
  template <typename T>
  bool be(T& v, size_t bytes) {
    if (b_.size() - pos_ < bytes) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < bytes; ++i) x = (x << 8) | static_cast<uint8_t>(b_[pos_ + i]);
    pos_ += bytes;
    v = static_cast<T>(x);
    return true;
  }
  std::string_view b_;
  size_t pos_ = 0;
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

bool read(std::string_view bytes, Record& record) {
  Record r;
  Reader in(bytes);
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
      case kMetadata: {
        size_t servers;
        ok = in.map(servers);
        for (size_t s = 0; ok && s < servers; ++s) {
          std::string server;
          ServerMeta meta;
          ok = in.str(server) && read_meta(in, meta) && r.metadata.emplace(std::move(server), std::move(meta)).second;
        }
        break;
      }
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
      ok = in.guids(r.guids);
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
      ok = in.guids(r.parent);
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
