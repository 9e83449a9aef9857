#include "fake_options.h"

#include <cstdio>

#include "fake_hash.h"

namespace ws::fake {
namespace {

std::string hex_id(uint64_t a, uint64_t b, size_t len) {
  std::string out;
  char buf[17];
  uint64_t h = hash2(a, b);
  while (out.size() < len) {
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    out += buf;
    h = mix64(h);
  }
  out.resize(len);
  return out;
}

Result<Ok> range(std::string_view flag, double value, double lo, double hi) {
  if (value < lo || value > hi) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%.*s %g is out of range [%g, %g]", static_cast<int>(flag.size()), flag.data(),
                  value, lo, hi);
    return make_error(ErrorKind::invalid_input, buf);
  }
  return Ok{};
}

}  // namespace

std::optional<ServerType> parse_server_type(std::string_view text) {
  if (text == "plex") return ServerType::plex;
  if (text == "jellyfin") return ServerType::jellyfin;
  if (text == "emby") return ServerType::emby;
  return std::nullopt;
}

const char* to_string(ServerType type) {
  switch (type) {
    case ServerType::plex: return "plex";
    case ServerType::jellyfin: return "jellyfin";
    case ServerType::emby: return "emby";
  }
  return "?";
}

Result<Ok> finalize_options(FakeOptions& o, int bound_port) {
  if (o.token.empty()) return make_error(ErrorKind::invalid_input, "--token is required and must not be empty");
  for (auto r : {range("--movies", o.catalog.movies, 0, 1'000'000), range("--shows", o.catalog.shows, 0, 100'000),
                 range("--seasons", o.catalog.seasons, 1, 100), range("--episodes", o.catalog.episodes, 1, 1000),
                 range("--watched", o.state.watched_pct, 0, 100), range("--progress", o.state.progress_pct, 0, 100),
                 range("--page-max", o.page_max, 0, 1'000'000), range("--latency-ms", o.latency_ms, 0, 60'000),
                 range("--port", o.port, 0, 65535)}) {
    if (!r) return r;
  }
  const double episodes = double(o.catalog.shows) * o.catalog.seasons * o.catalog.episodes;
  if (episodes > 5'000'000) {
    return make_error(ErrorKind::invalid_input, "--shows x --seasons x --episodes must stay under 5,000,000");
  }
  if (!o.state.seed && (o.state.watched_pct > 0 || o.state.progress_pct > 0)) o.state.seed = 1;
  if (!o.webhook_url.empty() && !o.webhook_url.starts_with("http://") && !o.webhook_url.starts_with("https://")) {
    return make_error(ErrorKind::invalid_input, "--webhook-url must be http://host:port/path");
  }
  if (o.echo_webhooks && o.webhook_url.empty()) {
    return make_error(ErrorKind::invalid_input, "--echo-webhooks needs --webhook-url (where to send them)");
  }

  const uint64_t type_salt = hash_str(to_string(o.type));
  if (o.server_id.empty()) {
    // Plex machineIdentifier: 40 hex; Jellyfin and Emby: 32 hex.
    o.server_id = hex_id(type_salt, static_cast<uint64_t>(bound_port), o.type == ServerType::plex ? 40 : 32);
  }
  if (o.user_id.empty()) {
    o.user_id = o.type == ServerType::plex ? "1" : hex_id(hash_str(o.server_id), 0x05e7, 32);
  }
  if (o.name.empty()) o.name = std::string("fake-") + to_string(o.type) + "-" + std::to_string(bound_port);
  return Ok{};
}

}  // namespace ws::fake
