// One HTTP exchange with one media server, and the seam tests swap (STYLE 14). A transport sends
// exactly one request and reports what came back; retries, error wording and JSON live above it
// in BackendHttp.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ws/result.h"

namespace ws {

struct HttpRequest {
  std::string method = "GET";  // GET, POST, DELETE, HEAD, PUT
  std::string target;          // path and query, e.g. "/library/sections?X-Plex-Container-Size=0"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;            // sent as is; set a Content-Type header with it
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; the last value wins
  std::string body;                             // decompressed

  // A header by lowercase name, or "".
  std::string header(const std::string& lower_name) const;
};

// What went wrong below HTTP. `timed_out` lets the caller word the error ("timed out after 30 s")
// and decide whether to retry.
enum class TransportFailure { none, connect, timeout, broken, other };

struct TransportError {
  TransportFailure kind = TransportFailure::other;
  std::string detail;  // libcurl's sentence; never holds the token (tokens go in headers)
};

struct TransportResult {
  HttpResponse response;  // valid when error.kind == none
  TransportError error{TransportFailure::none, {}};
  bool ok() const { return error.kind == TransportFailure::none; }
};

// Not thread-safe: one transport per thread. Implementations keep their connection open between
// calls (keep-alive).
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual TransportResult send(const HttpRequest& request) = 0;
};

struct TransportOptions {
  std::string base_url;  // "http://host:port", no trailing slash
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{30'000};
  bool verify_tls = true;
};

// The libcurl transport: one easy handle per instance, reused (keep-alive), gzip/deflate accepted
// and decoded, TLS verification on unless `verify_tls` is false.
std::unique_ptr<HttpTransport> make_curl_transport(const TransportOptions& options);

}  // namespace ws
