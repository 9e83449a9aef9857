#include "ws/text.h"

#include <algorithm>

namespace ws {
namespace {

char lower_char(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower_char(c);
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equals_nocase(text.substr(0, prefix.size()), prefix);
}

bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower_char(a[i]) != lower_char(b[i])) return false;
  return true;
}

bool is_hex32_lower(std::string_view text) {
  if (text.size() != 32) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Both write into room made once: appending a character at a time grew a short string two or
// three times on every Jellyfin id a record decode gave back.
void append_hex32_bytes(std::string& out, std::string_view hex32) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  const size_t n = std::min<size_t>(hex32.size(), 32) / 2;
  size_t at = out.size();
  out.resize(at + n);
  for (size_t i = 0; i < n; ++i)
    out[at++] = static_cast<char>(nibble(hex32[2 * i]) << 4 | nibble(hex32[2 * i + 1]));
}

void append_bytes_hex32(std::string& out, std::string_view bytes16) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t n = std::min<size_t>(bytes16.size(), 16);
  size_t at = out.size();
  out.resize(at + 2 * n);
  for (size_t i = 0; i < n; ++i) {
    const auto b = static_cast<unsigned char>(bytes16[i]);
    out[at++] = kHex[b >> 4];
    out[at++] = kHex[b & 0x0f];
  }
}

}  // namespace ws
