#include "ws/backend_http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <random>
#include <thread>

#include "ws/redact.h"
#include "ws/text.h"

namespace ws {

std::string_view http_reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value, int64_t now_unix) {
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (value.size() > 9) return std::nullopt;
    return std::chrono::seconds(std::stoll(value));
  }
  const time_t at = curl_getdate(value.c_str(), nullptr);
  if (at < 0) return std::nullopt;
  return std::chrono::seconds(std::max<int64_t>(0, static_cast<int64_t>(at) - now_unix));
}

namespace {

bool retryable_status(int status) { return status == 429 || status == 500 || status == 502 || status == 503 || status == 504; }

ErrorKind kind_of_status(int status) {
  if (status == 401 || status == 403) return ErrorKind::unauthorized;
  if (status == 404) return ErrorKind::not_found;
  if (status == 429 || status >= 500) return ErrorKind::unavailable;
  return ErrorKind::invalid_input;
}

std::string_view hint_of_status(int status) {
  switch (status) {
    case 401: return " (check the token)";
    case 403: return " (check the token and the user's rights)";
    case 404: return " (check the url and the id)";
    case 429: return " (the server asks to slow down)";
    default: return "";
  }
}

std::string seconds_text(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + " s";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

}  // namespace

BackendHttp::BackendHttp(std::string server_name, std::unique_ptr<HttpTransport> transport, RetryPolicy retry,
                         std::vector<std::pair<std::string, std::string>> default_headers,
                         std::vector<std::string> secrets, std::chrono::milliseconds timeout)
    : server_name_(std::move(server_name)),
      transport_(std::move(transport)),
      retry_(std::move(retry)),
      default_headers_(std::move(default_headers)),
      secrets_(std::move(secrets)),
      timeout_(timeout) {
  std::erase_if(secrets_, [](const std::string& s) { return s.empty(); });
}

std::string BackendHttp::describe(const HttpRequest& request) const {
  return server_name_ + ": " + request.method + " " + redact_secrets(redact_url(request.target), secrets_);
}

std::string BackendHttp::snippet(const std::string& body) const {
  constexpr size_t kMax = 200;
  std::string cut = body.substr(0, kMax);
  // Do not end inside a UTF-8 sequence.
  if (body.size() > kMax) {
    size_t end = cut.size();
    while (end > 0 && (static_cast<unsigned char>(cut[end - 1]) & 0xC0) == 0x80) --end;
    if (end > 0 && (static_cast<unsigned char>(cut[end - 1]) & 0x80)) --end;
    cut.resize(end);
  }
  std::string out;
  out.reserve(cut.size());
  bool space = false;
  for (char c : cut) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      if (!space && !out.empty()) out += ' ';
      space = true;
      continue;
    }
    out += c;
    space = c == ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out = redact_secrets(out, secrets_);
  if (body.size() > kMax) out += "…";
  return out;
}

void BackendHttp::wait(std::chrono::milliseconds delay) {
  if (retry_.sleep) {
    retry_.sleep(delay);
  } else {
    std::this_thread::sleep_for(delay);
  }
}

std::chrono::milliseconds BackendHttp::backoff(int attempt) const {
  const int64_t base = std::max<int64_t>(0, retry_.base_delay.count());
  int64_t delay = base << std::min(attempt - 1, 20);
  delay = std::min<int64_t>(delay, retry_.max_delay.count());
  thread_local std::minstd_rand rng{std::random_device{}()};
  if (delay > 0) delay += static_cast<int64_t>(rng() % static_cast<uint64_t>(delay / 4 + 1));
  return std::chrono::milliseconds(std::min<int64_t>(delay, retry_.max_delay.count()));
}

Result<HttpResponse> BackendHttp::send(HttpRequest request) { return send_impl(std::move(request), false, nullptr); }

Result<nlohmann::json> BackendHttp::send_json(HttpRequest request) {
  nlohmann::json out;
  auto response = send_impl(std::move(request), true, &out);
  if (!response) return response.error();
  return out;
}

Result<JsonResponse> BackendHttp::fetch_json(HttpRequest request) {
  JsonResponse out;
  auto response = send_impl(std::move(request), true, &out.body);
  if (!response) return response.error();
  out.response = std::move(*response);
  out.response.body.clear();
  out.response.body.shrink_to_fit();
  return out;
}

Result<HttpResponse> BackendHttp::fetch_read(HttpRequest request, const FastReader& fast, const DomReader& dom) {
  bool read_fast = false;
  const FastReader once = [&](std::string& body) { return read_fast = fast(body); };
  nlohmann::json body;
  auto response = send_impl(std::move(request), true, &body, &once);
  if (!response) return response.error();
  if (!read_fast) dom(body);
  response->body.clear();
  response->body.shrink_to_fit();
  return response;
}

Result<HttpResponse> BackendHttp::send_impl(HttpRequest request, bool want_json, nlohmann::json* json_out,
                                            const FastReader* fast) {
  for (const auto& header : default_headers_) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const std::string& name = header.first;
    const bool overridden = std::any_of(request.headers.begin(), request.headers.end(), [&](const auto& h) {
      return equals_nocase(h.first, name);
    });
    if (!overridden) request.headers.emplace_back(name, header.second);
  }
  const int attempts = std::max(1, retry_.max_attempts);
  Error last;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) ++stats_.retries;
    ++stats_.requests;
    TransportResult sent = transport_->send(request);
    std::optional<std::chrono::milliseconds> retry_after;
    bool retry = false;
    if (!sent.ok()) {
      std::string what;
      switch (sent.error.kind) {
        case TransportFailure::timeout:
          what = "timed out after " + seconds_text(timeout_) + " (options.timeout)";
          retry = true;
          break;
        case TransportFailure::connect:
          what = "cannot connect: " + sent.error.detail + " (check the url)";
          retry = true;
          break;
        case TransportFailure::broken:
          what = "connection broken: " + sent.error.detail;
          retry = true;
          break;
        default:
          what = "request failed: " + sent.error.detail;
          break;
      }
      last = make_error(ErrorKind::unavailable, describe(request) + " → " + redact_secrets(what, secrets_));
    } else {
      HttpResponse& response = sent.response;
      stats_.bytes += static_cast<int64_t>(response.body.size());
      if (response.status >= 200 && response.status < 300) {
        if (!want_json) return std::move(response);
        if (fast && (*fast)(response.body)) return std::move(response);
        try {
          *json_out = nlohmann::json::parse(response.body);
          return std::move(response);
        } catch (const nlohmann::json::parse_error& e) {
          std::string message = describe(request) + " → " + std::to_string(response.status) +
                                " but the body is not valid JSON (" +
                                (e.byte >= response.body.size() ? "truncated at byte " : "error at byte ") +
                                std::to_string(e.byte) + " of " + std::to_string(response.body.size()) + ")";
          if (!response.body.empty()) message += ": " + snippet(response.body);
          last = make_error(ErrorKind::corruption, std::move(message));
          retry = true;
        } catch (const nlohmann::json::exception& e) {
          // Well-formed but unreadable, e.g. a number beyond a double (1e999: out_of_range 406);
          // the same body comes back on a retry, so none is made.
          std::string message = describe(request) + " → " + std::to_string(response.status) +
                                " but the body cannot be read as JSON (" + e.what() + ")";
          if (!response.body.empty()) message += ": " + snippet(response.body);
          return make_error(ErrorKind::corruption, std::move(message));
        }
      } else {
        std::string message = describe(request) + " → " + std::to_string(response.status);
        if (auto reason = http_reason(response.status); !reason.empty()) message += " " + std::string(reason);
        message += hint_of_status(response.status);
        if (!response.body.empty()) message += ": " + snippet(response.body);
        last = make_error(kind_of_status(response.status), std::move(message));
        retry = retryable_status(response.status);
        if (retry) retry_after = parse_retry_after(response.header("retry-after"), std::time(nullptr));
      }
    }
    if (!retry) return last;
    if (attempt < attempts) {
      auto delay = retry_after ? std::min(*retry_after, retry_.max_delay) : backoff(attempt);
      wait(delay);
    }
  }
  if (attempts > 1) last.message += " (after " + std::to_string(attempts) + " attempts)";
  return last;
}

}  // namespace ws
