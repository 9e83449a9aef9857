#include "router.h"

#include <cctype>

namespace ws::fake {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

void Router::add(std::string_view methods, std::string_view pattern, Handler handler, RouteOptions options) {
  std::vector<std::string> segments;
  for (std::string_view s : split_path(pattern)) segments.emplace_back(s);
  size_t i = 0;
  while (i <= methods.size()) {
    size_t j = methods.find('|', i);
    if (j == std::string_view::npos) j = methods.size();
    Route r;
    r.method = std::string(methods.substr(i, j - i));
    r.segments = segments;
    r.name = r.method + " " + std::string(pattern);
    r.handler = handler;
    r.options = options;
    routes_.push_back(std::move(r));
    i = j + 1;
  }
}

bool Router::segment_equal(std::string_view a, std::string_view b) const {
  return case_insensitive_ ? iequals(a, b) : a == b;
}

bool Router::matches(const Route& r, const std::vector<std::string_view>& parts, Params* params) const {
  if (r.segments.size() != parts.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (r.segments[i] == "{}") continue;
    if (!segment_equal(r.segments[i], parts[i])) return false;
  }
  if (params) {
    for (size_t i = 0; i < parts.size(); ++i) {
      if (r.segments[i] == "{}") params->emplace_back(parts[i]);
    }
  }
  return true;
}

std::optional<Router::Match> Router::match(std::string_view method, std::string_view path) const {
  const auto parts = split_path(path);
  if (method == "HEAD") method = "GET";
  // Literal routes win over captures: /Items/Counts before /Items/{}. Two passes keep it simple.
  for (int pass = 0; pass < 2; ++pass) {
    for (const Route& r : routes_) {
      if (r.method != method) continue;
      bool has_capture = false;
      for (const auto& s : r.segments) has_capture |= s == "{}";
      if (has_capture != (pass == 1)) continue;
      Match m;
      if (matches(r, parts, &m.params)) {
        m.route = &r;
        return m;
      }
    }
  }
  return std::nullopt;
}

bool Router::path_known(std::string_view path) const {
  const auto parts = split_path(path);
  for (const Route& r : routes_) {
    if (matches(r, parts, nullptr)) return true;
  }
  return false;
}

}  // namespace ws::fake
