#include "ws/webhook_parser.h"

namespace ws {

Result<WebhookEvent> parse_webhook(ServerType type, const WebhookRequest& request) {
  // Parsers are written not to throw; this is the last line against a bug turning bad input
  // into a crash of ingest.
  try {
    switch (type) {
      case ServerType::plex: return parse_plex_webhook(request);
      case ServerType::jellyfin: return parse_jellyfin_webhook(request);
      case ServerType::emby: return parse_emby_webhook(request);
    }
  } catch (const std::exception& e) {
    return make_error(ErrorKind::invalid_input,
                      std::string(to_string(type)) + " webhook could not be read: " + e.what());
  }
  return make_error(ErrorKind::invalid_input, "unknown server type");
}

}  // namespace ws
