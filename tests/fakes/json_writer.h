// A streaming JSON (and XML attribute) writer. Pages of hundreds of items are written straight
// into the response body: no intermediate tree, so a page costs little more than its bytes.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace ws::fake {

// Appends JSON text to `out`. Commas are inserted automatically; the caller keeps objects and
// arrays balanced and calls key() before each value inside an object.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { sep(); out_ += '{'; comma_ = false; return *this; }
  JsonWriter& end_object() { out_ += '}'; comma_ = true; return *this; }
  JsonWriter& begin_array() { sep(); out_ += '['; comma_ = false; return *this; }
  JsonWriter& end_array() { out_ += ']'; comma_ = true; return *this; }

  JsonWriter& key(std::string_view k) {
    sep();
    append_string(k);
    out_ += ':';
    comma_ = false;
    return *this;
  }
  JsonWriter& value(std::string_view s) { sep(); append_string(s); comma_ = true; return *this; }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) { sep(); out_ += b ? "true" : "false"; comma_ = true; return *this; }
  JsonWriter& value(double d) {
    sep();
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%.6g", d);
    out_.append(buf, static_cast<size_t>(n));
    comma_ = true;
    return *this;
  }
  template <std::integral T>
  JsonWriter& value(T v) {
    sep();
    out_ += std::to_string(v);
    comma_ = true;
    return *this;
  }
  JsonWriter& null() { sep(); out_ += "null"; comma_ = true; return *this; }
  // An already serialized JSON value.
  JsonWriter& raw(std::string_view json) { sep(); out_ += json; comma_ = true; return *this; }

  template <typename T>
  JsonWriter& kv(std::string_view k, const T& v) { key(k); return value(v); }
  JsonWriter& kv_null(std::string_view k) { key(k); return null(); }

  static void escape_to(std::string& out, std::string_view s) {
    for (unsigned char c : s) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
    }
  }

 private:
  void sep() {
    if (comma_) out_ += ',';
  }
  void append_string(std::string_view s) {
    out_ += '"';
    escape_to(out_, s);
    out_ += '"';
  }

  std::string& out_;
  bool comma_ = false;
};

// Appends ` name="value"` with XML escaping.
inline void xml_attr(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  for (char c : value) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  out += '"';
}
inline void xml_attr(std::string& out, std::string_view name, int64_t value) {
  xml_attr(out, name, std::to_string(value));
}

}  // namespace ws::fake
