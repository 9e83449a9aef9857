#include "record_msgpack.h"

#include <cstdint>
#include <cstring>

namespace ws::record_msgpack {
namespace {

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
  void boolean(bool b) { byte(b ? 0xc3 : 0xc2); }
  void guids(const Guids& g) {
    map(g.size());
    for (const auto& [source, value] : g) {
      str(source);
      str(value);
    }
  }

 private:
  void byte(uint64_t b) { out_.push_back(static_cast<char>(b & 0xff)); }
  void be(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) byte(v >> (8 * i));
  }
  std::string& out_;
};

void write_meta(Writer& w, const ServerMeta& m) {
  // Keys in nlohmann's (sorted) order; fields at their default are left out, as put() does.
  const size_t n = (m.added_at != 0) + (m.episode_end != -1) + !m.episode_title.empty() + m.ignored_watched +
                   (m.ignored_writes != 0) + !m.item_id.empty() +
                   !m.library_id.empty() + !m.path.empty() + (m.played_at != 0) + (m.progress_ms != 0) +
                   !m.series_id.empty() + !m.title.empty() + m.watched;
  w.map(n);
  if (m.added_at != 0) w.str("added_at"), w.signed_int(m.added_at);
  if (m.episode_end != -1) w.str("episode_end"), w.signed_int(m.episode_end);
  if (!m.episode_title.empty()) w.str("episode_title"), w.str(m.episode_title);
  if (m.ignored_watched) w.str("ignored_watched"), w.boolean(true);
  if (m.ignored_writes != 0) w.str("ignored_writes"), w.signed_int(m.ignored_writes);
  if (!m.item_id.empty()) w.str("item_id"), w.str(m.item_id);
  if (!m.library_id.empty()) w.str("library_id"), w.str(m.library_id);
  if (!m.path.empty()) w.str("path"), w.str(m.path);
  if (m.played_at != 0) w.str("played_at"), w.signed_int(m.played_at);
  if (m.progress_ms != 0) w.str("progress_ms"), w.signed_int(m.progress_ms);
  if (!m.series_id.empty()) w.str("series_id"), w.str(m.series_id);
  if (!m.title.empty()) w.str("title"), w.str(m.title);
  if (m.watched) w.str("watched"), w.boolean(true);
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
  if (!r.map(n)) return false;
  for (size_t i = 0; i < n; ++i) {
    std::string_view key;
    if (!r.str(key)) return false;
    if (r.nil()) continue;  // get() skips a null field
    bool ok = false;
    if (key == "added_at") ok = r.integer(m.added_at);
    else if (key == "episode_end") ok = r.integer(m.episode_end);
    else if (key == "episode_title") ok = r.str(m.episode_title);
    else if (key == "ignored_watched") ok = r.boolean(m.ignored_watched);
    else if (key == "ignored_writes") ok = r.integer(m.ignored_writes);
    else if (key == "item_id") ok = r.str(m.item_id);
    else if (key == "library_id") ok = r.str(m.library_id);
    else if (key == "path") ok = r.str(m.path);
    else if (key == "played_at") ok = r.integer(m.played_at);
    else if (key == "progress_ms") ok = r.integer(m.progress_ms);
    else if (key == "series_id") ok = r.str(m.series_id);
    else if (key == "title") ok = r.str(m.title);
    else if (key == "watched") ok = r.boolean(m.watched);
    if (!ok) return false;
  }
  return true;
}

bool read_progress(Reader& r, Progress& p) {
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
  const bool progress = r.progress.ms != 0 || !r.progress.via.empty();
  const size_t n = 3 /* id, type, watched */ + (r.created_at != 0) + (r.episode != -1) + !r.guids.empty() +
                   !r.metadata.empty() + !r.parent.empty() + progress + (r.season != -1) + !r.title.empty() +
                   (r.unmarked_at != 0) + (r.updated != 0) + (r.updated_at != 0) + !r.via.empty() + (r.year != 0);
  w.map(n);
  if (r.created_at != 0) w.str("created_at"), w.signed_int(r.created_at);
  if (r.episode != -1) w.str("episode"), w.signed_int(r.episode);
  if (!r.guids.empty()) w.str("guids"), w.guids(r.guids);
  w.str("id"), w.unsigned_int(r.id);
  if (!r.metadata.empty()) {
    w.str("metadata");
    w.map(r.metadata.size());
    for (const auto& [server, meta] : r.metadata) {
      w.str(server);
      write_meta(w, meta);
    }
  }
  if (!r.parent.empty()) w.str("parent"), w.guids(r.parent);
  if (progress) {
    const Progress& p = r.progress;
    w.str("progress");
    w.map((p.at != 0) + (p.ms != 0) + !p.via.empty());
    if (p.at != 0) w.str("at"), w.signed_int(p.at);
    if (p.ms != 0) w.str("ms"), w.signed_int(p.ms);
    if (!p.via.empty()) w.str("via"), w.str(p.via);
  }
  if (r.season != -1) w.str("season"), w.signed_int(r.season);
  if (!r.title.empty()) w.str("title"), w.str(r.title);
  w.str("type"), w.str(to_string(r.type));
  if (r.unmarked_at != 0) w.str("unmarked_at"), w.signed_int(r.unmarked_at);
  if (r.updated != 0) w.str("updated"), w.signed_int(r.updated);
  if (r.updated_at != 0) w.str("updated_at"), w.signed_int(r.updated_at);
  if (!r.via.empty()) w.str("via"), w.str(r.via);
  w.str("watched"), w.boolean(r.watched);
  if (r.year != 0) w.str("year"), w.signed_int(r.year);
}

bool read(std::string_view bytes, Record& record) {
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
        ok = in.str(server) && read_meta(in, meta);
        if (ok) r.metadata[std::string(server)] = std::move(meta);
      }
    } else if (key == "parent") {
      ok = in.guids(r.parent);
    } else if (key == "progress") {
      ok = read_progress(in, r.progress);
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
