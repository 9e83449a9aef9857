// A small, strict multipart/form-data reader (RFC 7578) for webhook bodies: Plex posts its JSON in
// a `payload` part with a `thumb` JPEG beside it, Emby in a form field `data`. It reads only what
// it is given (no streaming), never throws, and refuses what it cannot frame with a sentence.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ws/result.h"

namespace ws {

struct MultipartPart {
  std::map<std::string, std::string> headers;  // names lowercased, values trimmed
  std::string name;                            // Content-Disposition name="..."
  std::string filename;                        // Content-Disposition filename="...", may be empty
  std::string content_type;                    // lowercased, without parameters; may be empty
  std::string body;                            // empty when `skipped`
  size_t size = 0;                             // body bytes as sent, skipped or not
  bool skipped = false;                        // binary content (images, octet streams) not kept
};

struct MultipartLimits {
  size_t max_parts = 32;          // Plex sends 1-2; more is not a webhook
  size_t max_header_bytes = 8192; // per part
};

// The boundary of a `multipart/form-data; boundary=...` content type, quoted or not. An error
// when the type is not multipart/form-data or the boundary is missing or not 1-70 valid chars.
Result<std::string> multipart_boundary(std::string_view content_type);

// True when the content type says multipart/form-data (any case, any parameters).
bool is_multipart_form(std::string_view content_type);

// Splits `body` into parts. Accepts CRLF (the standard) and bare LF line ends (hand-captured
// files), and ignores a preamble and an epilogue. Parts whose type is image/*, audio/*, video/*
// or application/octet-stream are skipped: their headers are kept, their bytes are not.
// Errors: no opening boundary, a part without a blank line after its headers, headers over the
// limit, too many parts, a body that ends before the closing boundary.
Result<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                   const MultipartLimits& limits = {});

// The first part named `name`, or nullptr.
const MultipartPart* find_part(const std::vector<MultipartPart>& parts, std::string_view name);

}  // namespace ws
