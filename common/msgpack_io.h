// MessagePack written and read without a DOM: the encodings nlohmann's writer chooses, and a
// cursor whose every read fails (returns false) rather than throwing. Internal to ws_common: the
// building blocks of the record codec (record_msgpack.cpp) and the item codec
// (media_item_msgpack.cpp).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>

namespace ws::msgpack {

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
  // A map of strings to strings, in the map's (sorted) order, as nlohmann writes a std::map.
  void string_map(const std::map<std::string, std::string>& m) {
    map(m.size());
    for (const auto& [key, value] : m) {
      str(key);
      str(value);
    }
  }
  // Bytes that already are MessagePack.
  void raw(std::string_view bytes) { out_.append(bytes); }
 protected:
  void byte(uint64_t b) { out_.push_back(static_cast<char>(b & 0xff)); }
  void be(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) byte(v >> (8 * i));
  }
  std::string& out_;
};

// A cursor over MessagePack bytes; every read fails (returns false) rather than throwing.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool at_end() const { return pos_ == b_.size(); }
  size_t pos() const { return pos_; }
  // The bytes not read yet.
  std::string_view rest() const { return b_.substr(pos_); }
  // The next type byte without reading it; -1 at the end.
  int peek() const { return pos_ < b_.size() ? static_cast<uint8_t>(b_[pos_]) : -1; }
  // Steps over `n` bytes (a value whose size the caller measured); false past the end.
  bool skip(size_t n) {
    if (b_.size() - pos_ < n) return false;
    pos_ += n;
    return true;
  }
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
  bool boolean(bool& out) {
    uint8_t t;
    if (!byte(t) || (t != 0xc2 && t != 0xc3)) return false;
    out = t == 0xc3;
    return true;
  }
  bool string_map(std::map<std::string, std::string>& g) {
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

 protected:
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

}  // namespace ws::msgpack
