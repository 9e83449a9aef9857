#include "ws/ingest_options.h"

#include <charconv>

namespace ws {

Result<ListenAddress> parse_listen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  auto bad = [&listen](const std::string& why) {
    return make_error(ErrorKind::invalid_input, "webhook.listen: '" + listen + "' " + why);
  };
  if (colon == std::string::npos || colon == 0) return bad("is not HOST:PORT");
  ListenAddress out;
  out.host = listen.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  const std::string port = listen.substr(colon + 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || out.port < 0 || out.port > 65535)
    return bad("has no port in range 0..65535");
  return out;
}

Result<Ok> validate(const IngestOptions& options) {
  if (options.events().empty()) return make_error(ErrorKind::invalid_input, "endpoints.events: must not be empty");
  if (auto listen = parse_listen(options.config.webhook.listen); !listen) return listen.error();
  if (options.http_threads < 1 || options.http_threads > 1024)
    return make_error(ErrorKind::invalid_input, "ingest: http_threads " + std::to_string(options.http_threads) +
                                                    " is out of range 1..1024");
  if (options.window < 1) return make_error(ErrorKind::invalid_input, "ingest: the event window must be at least 1");
  return Ok{};
}

}  // namespace ws
