// Route matching for the fake servers. httplib's regex routes are case-sensitive; Jellyfin and
// Emby match routes without regard to case and accept a trailing slash, so matching is ours:
// a pattern is "/Users/{}/Items/{}", each {} captures one path segment.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

namespace ws::fake {

using Params = std::vector<std::string>;
using Handler = std::function<void(const httplib::Request&, httplib::Response&, const Params&)>;

struct RouteOptions {
  bool auth = true;    // needs the server's token
  bool write = false;  // recorded for /__fake/writes
};

struct Route {
  std::string method;  // GET also answers HEAD
  std::vector<std::string> segments;
  std::string name;    // "GET /Users/{}/Items", for stats
  Handler handler;
  RouteOptions options;
};

class Router {
 public:
  explicit Router(bool case_insensitive) : case_insensitive_(case_insensitive) {}

  // Several methods may share a pattern: "GET|POST".
  void add(std::string_view methods, std::string_view pattern, Handler handler, RouteOptions options = {});

  struct Match {
    const Route* route = nullptr;
    Params params;
  };
  // `method` HEAD matches GET routes. Empty if no route has this method and path.
  std::optional<Match> match(std::string_view method, std::string_view path) const;
  // True if the path matches a route of another method (for 405 rather than 404).
  bool path_known(std::string_view path) const;

 private:
  bool segment_equal(std::string_view a, std::string_view b) const;
  bool matches(const Route& r, const std::vector<std::string_view>& parts, Params* params) const;

  bool case_insensitive_;
  std::vector<Route> routes_;
};

// Splits "/a/b/" into {"a","b"}: empty segments are ignored, as the real servers do.
std::vector<std::string_view> split_path(std::string_view path);
bool iequals(std::string_view a, std::string_view b);

}  // namespace ws::fake
