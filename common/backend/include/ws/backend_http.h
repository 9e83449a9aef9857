// Requests to one media server as a person would want them made: default headers on every call,
// bounded retries with backoff on 429/5xx/connection errors (honouring Retry-After), and errors
// worded for a person — which server, which request (token redacted), which status, the first bytes
// of the body:  `my_plex: GET /library/sections → 401 Unauthorized (check the token)`.
// Not thread-safe: one per thread, like the transport it owns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ws/http_transport.h"
#include "ws/result.h"

namespace ws {

struct RetryPolicy {
  int max_attempts = 4;                            // 1 = no retry; values < 1 count as 1
  std::chrono::milliseconds base_delay{500};       // backoff: base * 2^(attempt-1), + up to 25% jitter
  std::chrono::milliseconds max_delay{30'000};     // cap for the backoff and for Retry-After
  // Seam: how to wait between attempts (tests record instead of sleeping). Default: sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct HttpStats {
  int64_t requests = 0;  // attempts sent, retries included
  int64_t retries = 0;
  int64_t bytes = 0;     // response bodies received (decoded)
};

struct JsonResponse {
  HttpResponse response;  // status and headers; the body text is dropped once parsed
  nlohmann::json body;
};

class BackendHttp {
 public:
  // `secrets` (the token) are scrubbed from every message; `timeout` is only used to word errors.
  BackendHttp(std::string server_name, std::unique_ptr<HttpTransport> transport, RetryPolicy retry,
              std::vector<std::pair<std::string, std::string>> default_headers, std::vector<std::string> secrets,
              std::chrono::milliseconds timeout);

  // Sends with the default headers (a header of the request replaces a default of the same name).
  // A 2xx response is returned; anything else, after the retries, is an Error.
  Result<HttpResponse> send(HttpRequest request);

  // send() then parse the body as JSON. A body that is not JSON (truncated, HTML) is retried like
  // a broken connection, then reported as ErrorKind::corruption with the byte where parsing failed.
  Result<nlohmann::json> send_json(HttpRequest request);
  Result<nlohmann::json> get_json(std::string target) { return send_json(HttpRequest{"GET", std::move(target), {}, {}}); }
  // send_json() keeping the response headers (paging totals).
  Result<JsonResponse> fetch_json(HttpRequest request);

  // send() then read the body with `fast` first (the pages' simdjson readers, ws/page_reader.h;
  // it may pad the body in place); when `fast` declines (returns false), the body is parsed with
  // nlohmann as send_json does — the same errors, the same retries — and handed to `dom`. The
  // response comes back with its headers, the body dropped.
  using FastReader = std::function<bool(std::string& body)>;
  using DomReader = std::function<void(const nlohmann::json& body)>;
  Result<HttpResponse> fetch_read(HttpRequest request, const FastReader& fast, const DomReader& dom);

  const std::string& server_name() const { return server_name_; }
  const HttpStats& stats() const { return stats_; }

  // The message prefix for this request: "my_plex: GET /library/sections" (token redacted).
  std::string describe(const HttpRequest& request) const;
  // Printable, secret-free first ~200 bytes of a body.
  std::string snippet(const std::string& body) const;

 private:
  Result<HttpResponse> send_impl(HttpRequest request, bool want_json, nlohmann::json* json_out,
                                 const FastReader* fast = nullptr);
  void wait(std::chrono::milliseconds delay);
  std::chrono::milliseconds backoff(int attempt) const;

  std::string server_name_;
  std::unique_ptr<HttpTransport> transport_;
  RetryPolicy retry_;
  std::vector<std::pair<std::string, std::string>> default_headers_;
  std::vector<std::string> secrets_;
  std::chrono::milliseconds timeout_;
  HttpStats stats_;
};

// "Unauthorized" for 401, "" for an unknown status.
std::string_view http_reason(int status);

// Retry-After as seconds ("120") or an HTTP date; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value, int64_t now_unix);

}  // namespace ws
