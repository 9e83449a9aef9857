// Helpers for the webhook tests: the hand-written payloads under tests/data/webhooks/ and
// multipart framing built around them.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ws/webhook_event.h"

namespace ws::test {

inline std::filesystem::path webhook_data_dir() {
  return std::filesystem::path(WS_SOURCE_DIR) / "tests" / "data" / "webhooks";
}

inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test file " + file.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string webhook_data(const std::string& name) { return read_file(webhook_data_dir() / name); }

struct FormPart {
  std::string name;
  std::string body;
  std::string content_type;  // empty: no Content-Type header
  std::string filename;      // empty: no filename parameter
};

// A multipart/form-data body with CRLF line ends, as servers send it.
inline std::string multipart_body(const std::string& boundary, const std::vector<FormPart>& parts,
                                  const std::string& eol = "\r\n") {
  std::string out;
  for (const auto& p : parts) {
    out += "--" + boundary + eol;
    out += "Content-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) out += "; filename=\"" + p.filename + "\"";
    out += eol;
    if (!p.content_type.empty()) out += "Content-Type: " + p.content_type + eol;
    out += eol + p.body + eol;
  }
  out += "--" + boundary + "--" + eol;
  return out;
}

// Bytes that look like a small JPEG, with NULs, CR/LF and dashes inside, as a thumb part has.
inline std::string fake_jpeg() {
  std::string j("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01", 16);
  j += "\r\n--not-the-boundary\r\n";
  for (int i = 0; i < 2048; ++i) j.push_back(static_cast<char>((i * 37) & 0xFF));
  j += std::string("\xFF\xD9", 2);
  return j;
}

inline const std::string kBoundary = "------------------------5e8a0c1d2f3b4a69";

inline WebhookRequest plex_request(const std::string& payload_json, bool with_thumb = true) {
  WebhookRequest r;
  r.content_type = "multipart/form-data; boundary=" + kBoundary;
  r.user_agent = "PlexMediaServer/1.40.0.0000";
  std::vector<FormPart> parts{{"payload", payload_json, "application/json", ""}};
  if (with_thumb) parts.push_back({"thumb", fake_jpeg(), "image/jpeg", "image.jpg"});
  r.body = multipart_body(kBoundary, parts);
  return r;
}

inline WebhookRequest json_request(const std::string& body, const std::string& content_type) {
  WebhookRequest r;
  r.content_type = content_type;
  r.body = body;
  return r;
}

}  // namespace ws::test
