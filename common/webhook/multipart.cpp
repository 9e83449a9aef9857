#include "ws/multipart.h"

#include <algorithm>
#include <cctype>

#include "ws/text.h"

namespace ws {
namespace {

// RFC 2046 bchars.
bool is_bchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// Parameters of a header value: `form-data; name="payload"; filename=thumb.jpg`. Names are
// lowercased; quoted values may hold ';' and backslash escapes.
std::map<std::string, std::string> header_params(std::string_view value) {
  std::map<std::string, std::string> out;
  size_t pos = value.find(';');
  while (pos != std::string_view::npos && pos < value.size()) {
    ++pos;
    while (pos < value.size() && std::isspace(static_cast<unsigned char>(value[pos]))) ++pos;
    const size_t eq = value.find('=', pos);
    if (eq == std::string_view::npos) break;
    std::string name = ascii_lower(trim(value.substr(pos, eq - pos)));
    pos = eq + 1;
    while (pos < value.size() && value[pos] == ' ') ++pos;
    std::string v;
    if (pos < value.size() && value[pos] == '"') {
      ++pos;
      while (pos < value.size() && value[pos] != '"') {
        if (value[pos] == '\\' && pos + 1 < value.size()) ++pos;
        v.push_back(value[pos++]);
      }
      if (pos < value.size()) ++pos;  // closing quote
      pos = value.find(';', pos);
    } else {
      const size_t end = value.find(';', pos);
      v = std::string(trim(value.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos)));
      pos = end;
    }
    out.emplace(std::move(name), std::move(v));
  }
  return out;
}

// Request bytes quoted in a message: one line of printable ASCII.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 100)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

bool is_binary_type(std::string_view type) {
  return type.starts_with("image/") || type.starts_with("audio/") || type.starts_with("video/") ||
         type == "application/octet-stream";
}

// Finds the next delimiter line "--boundary" starting at or after `from`, at the start of the
// body or right after a line end. Returns the offset of its first '-', or npos.
size_t find_delimiter(std::string_view body, std::string_view dash_boundary, size_t from) {
  size_t pos = from;
  while ((pos = body.find(dash_boundary, pos)) != std::string_view::npos) {
    if (pos == 0 || body[pos - 1] == '\n') return pos;
    ++pos;
  }
  return std::string_view::npos;
}

// Parses the header block of one part (without its terminating blank line).
Result<MultipartPart> parse_part_headers(std::string_view block, size_t index) {
  MultipartPart part;
  while (!block.empty()) {
    const size_t eol = block.find('\n');
    std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return make_error(ErrorKind::invalid_input,
                        "multipart part " + std::to_string(index + 1) + " has a header line without a name: colon");
    part.headers[ascii_lower(trim(line.substr(0, colon)))] = std::string(trim(line.substr(colon + 1)));
  }
  if (auto it = part.headers.find("content-disposition"); it != part.headers.end()) {
    auto params = header_params(it->second);
    part.name = params["name"];
    part.filename = params["filename"];
  }
  if (auto it = part.headers.find("content-type"); it != part.headers.end()) {
    std::string_view type = it->second;
    type = trim(type.substr(0, type.find(';')));
    part.content_type = ascii_lower(type);
  }
  return part;
}

}  // namespace

bool is_multipart_form(std::string_view content_type) {
  return ascii_lower(trim(content_type.substr(0, content_type.find(';')))) == "multipart/form-data";
}

Result<std::string> multipart_boundary(std::string_view content_type) {
  if (!is_multipart_form(content_type))
    return make_error(ErrorKind::invalid_input, "the content type '" + printable(content_type) +
                                                    "' is not multipart/form-data");
  auto params = header_params(content_type);
  auto it = params.find("boundary");
  if (it == params.end() || it->second.empty())
    return make_error(ErrorKind::invalid_input, "the multipart/form-data content type has no boundary parameter");
  const std::string& b = it->second;
  if (b.size() > 70 || b.back() == ' ' || !std::all_of(b.begin(), b.end(), is_bchar))
    return make_error(ErrorKind::invalid_input,
                      "the multipart boundary is not 1-70 valid characters (RFC 2046)");
  return b;
}

Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                   const MultipartLimits& limits) {
  if (boundary.empty()) return make_error(ErrorKind::invalid_input, "the multipart boundary is empty");
  const std::string dash_boundary = "--" + std::string(boundary);
  size_t pos = find_delimiter(body, dash_boundary, 0);
  if (pos == std::string_view::npos)
    return make_error(ErrorKind::invalid_input, "the multipart body does not contain its boundary");

  std::vector<MultipartPart> parts;
  for (;;) {
    // `pos` is at a delimiter line: "--boundary" then "--" (the end) or a line end.
    pos += dash_boundary.size();
    if (body.substr(pos, 2) == "--") return parts;
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;  // transport padding
    if (body.substr(pos, 2) == "\r\n") {
      pos += 2;
    } else if (body.substr(pos, 1) == "\n") {
      pos += 1;
    } else {
      return make_error(ErrorKind::invalid_input,
                        "a multipart boundary line is followed by something other than a line end");
    }
    if (parts.size() >= limits.max_parts)
      return make_error(ErrorKind::invalid_input,
                        "the multipart body has more than " + std::to_string(limits.max_parts) + " parts");

    // Headers end at the first empty line; a part with no headers starts with one.
    size_t headers_end = 0, content_start = 0;
    if (body.substr(pos, 2) == "\r\n") {
      headers_end = pos;
      content_start = pos + 2;
    } else if (body.substr(pos, 1) == "\n") {
      headers_end = pos;
      content_start = pos + 1;
    } else {
      const size_t crlf = body.find("\r\n\r\n", pos);
      const size_t lf = body.find("\n\n", pos);
      if (crlf == std::string_view::npos && lf == std::string_view::npos)
        return make_error(ErrorKind::invalid_input, "multipart part " + std::to_string(parts.size() + 1) +
                                                        " has no blank line after its headers");
      if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf)) {
        headers_end = crlf;
        content_start = crlf + 4;
      } else {
        headers_end = lf;
        content_start = lf + 2;
      }
    }
    if (headers_end - pos > limits.max_header_bytes)
      return make_error(ErrorKind::invalid_input, "multipart part " + std::to_string(parts.size() + 1) +
                                                      " has headers over " +
                                                      std::to_string(limits.max_header_bytes) + " bytes");
    auto part = parse_part_headers(body.substr(pos, headers_end - pos), parts.size());
    if (!part) return part.error();

    const size_t next = find_delimiter(body, dash_boundary, content_start);
    if (next == std::string_view::npos)
      return make_error(ErrorKind::invalid_input, "the multipart body ends before its closing boundary");
    // The line end before the delimiter belongs to the delimiter, not the content.
    size_t content_end = next;
    if (content_end > content_start && body[content_end - 1] == '\n') --content_end;
    if (content_end > content_start && body[content_end - 1] == '\r') --content_end;
    if (content_end < content_start) content_end = content_start;  // empty content, delimiter right after
    part->size = content_end - content_start;
    part->skipped = is_binary_type(part->content_type);
    if (!part->skipped) part->body = std::string(body.substr(content_start, content_end - content_start));
    parts.push_back(std::move(part.value()));
    pos = next;
  }
}

const MultipartPart* find_part(const std::vector<MultipartPart>& parts, std::string_view name) {
  for (const auto& part : parts)
    if (part.name == name) return &part;
  return nullptr;
}

}  // namespace ws
