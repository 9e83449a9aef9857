#include "msgpack_shape.h"

#include <cstdint>
#include <vector>

namespace ws {
namespace {

// A value's head: how many bytes follow the type byte before the next value starts (`skip`), or
// how many values a container holds (`elements`, maps count keys and values).
struct Head {
  bool container = false;
  uint64_t skip = 0;
  uint64_t elements = 0;
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  size_t pos() const { return pos_; }
  size_t left() const { return bytes_.size() - pos_; }

  // Reads a big-endian unsigned of `width` bytes; false when the bytes run out.
  bool uint(size_t width, uint64_t& out) {
    if (left() < width) return false;
    out = 0;
    for (size_t i = 0; i < width; ++i) out = (out << 8) | static_cast<unsigned char>(bytes_[pos_ + i]);
    pos_ += width;
    return true;
  }
  bool byte(unsigned char& out) {
    if (left() < 1) return false;
    out = static_cast<unsigned char>(bytes_[pos_++]);
    return true;
  }
  bool skip(uint64_t n) {
    if (left() < n) return false;
    pos_ += static_cast<size_t>(n);
    return true;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

Error shape_error(const std::string& what, size_t offset) {
  return make_error(ErrorKind::invalid_input, "MessagePack " + what + " at byte " + std::to_string(offset));
}

// Reads one value's head; the payload of strings, binaries, numbers and extensions is in `skip`.
// False for the one type byte MessagePack never uses (0xc1) or a length that runs past the end.
bool read_head(Reader& in, unsigned char tag, Head& head) {
  uint64_t n = 0;
  if (tag <= 0x7f || tag >= 0xe0 || tag == 0xc0 || tag == 0xc2 || tag == 0xc3) return true;  // fixint, nil, bool
  if (tag >= 0xa0 && tag <= 0xbf) return head.skip = tag & 0x1f, true;                        // fixstr
  if (tag >= 0x90 && tag <= 0x9f) return head.container = true, head.elements = tag & 0x0f, true;
  if (tag >= 0x80 && tag <= 0x8f) return head.container = true, head.elements = 2 * (tag & 0x0f), true;
  switch (tag) {
    case 0xc4: case 0xd9: return in.uint(1, n) && (head.skip = n, true);       // bin8, str8
    case 0xc5: case 0xda: return in.uint(2, n) && (head.skip = n, true);       // bin16, str16
    case 0xc6: case 0xdb: return in.uint(4, n) && (head.skip = n, true);       // bin32, str32
    case 0xc7: return in.uint(1, n) && (head.skip = n + 1, true);              // ext8: length, type
    case 0xc8: return in.uint(2, n) && (head.skip = n + 1, true);              // ext16
    case 0xc9: return in.uint(4, n) && (head.skip = n + 1, true);              // ext32
    case 0xca: return head.skip = 4, true;                                     // float32
    case 0xcb: return head.skip = 8, true;                                     // float64
    case 0xcc: case 0xd0: return head.skip = 1, true;                          // (u)int8
    case 0xcd: case 0xd1: return head.skip = 2, true;                          // (u)int16
    case 0xce: case 0xd2: return head.skip = 4, true;                          // (u)int32
    case 0xcf: case 0xd3: return head.skip = 8, true;                          // (u)int64
    case 0xd4: return head.skip = 2, true;                                     // fixext1: type, data
    case 0xd5: return head.skip = 3, true;
    case 0xd6: return head.skip = 5, true;
    case 0xd7: return head.skip = 9, true;
    case 0xd8: return head.skip = 17, true;
    case 0xdc: return in.uint(2, n) && (head.container = true, head.elements = n, true);      // array16
    case 0xdd: return in.uint(4, n) && (head.container = true, head.elements = n, true);      // array32
    case 0xde: return in.uint(2, n) && (head.container = true, head.elements = 2 * n, true);  // map16
    case 0xdf: return in.uint(4, n) && (head.container = true, head.elements = 2 * n, true);  // map32
    default: return false;  // 0xc1: never used
  }
}

}  // namespace

Result<size_t> msgpack_value_size(std::string_view bytes, int max_depth) {
  Reader in(bytes);
  // Values still to read in each open container, innermost last: the walk's only state, so depth
  // costs 8 bytes a level and never a stack frame.
  std::vector<uint64_t> open;
  while (true) {
    const size_t at = in.pos();
    unsigned char tag = 0;
    if (!in.byte(tag)) return shape_error("ends early", at);
    Head head;
    if (!read_head(in, tag, head)) return shape_error(tag == 0xc1 ? "has an unused type byte 0xc1" : "ends early", at);
    if (head.container && head.elements > 0) {
      if (static_cast<int>(open.size()) + 1 > max_depth)
        return shape_error("nests deeper than " + std::to_string(max_depth) + " levels", at);
      // Every element takes at least one byte: a count beyond what is left is a lie, refused
      // before anything trusts it.
      if (head.elements > in.left()) return shape_error("container claims more elements than bytes", at);
      open.push_back(head.elements);
      continue;
    }
    if (head.container && static_cast<int>(open.size()) + 1 > max_depth)
      return shape_error("nests deeper than " + std::to_string(max_depth) + " levels", at);
    if (!in.skip(head.skip)) return shape_error("ends early", at);
    // One value is complete: close every container it completes.
    while (!open.empty() && --open.back() == 0) open.pop_back();
    if (open.empty()) break;
  }
  return in.pos();
}

Result<Ok> check_msgpack_shape(std::string_view bytes, int max_depth) {
  auto size = msgpack_value_size(bytes, max_depth);
  if (!size) return size.error();
  if (*size != bytes.size()) return shape_error("has bytes after its value", *size);
  return Ok{};
}

}  // namespace ws
