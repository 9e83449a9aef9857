// The Emby client (DESIGN §11, Emby). Internal: use make_backend_client().
#pragma once

#include "mediabrowser_client.h"

namespace ws {

class EmbyClient final : public MediaBrowserClient {
 public:
  EmbyClient(ServerConfig server, const BackendOptions& options);

 protected:
  std::string views_target() const override;
  std::string items_target(const std::string& library_id, std::string_view types, int64_t start,
                           int64_t size) const override;
  std::string item_target(const std::string& item_id) const override;
  std::string items_by_id_target(const std::string& ids, int64_t start) const override;
  HttpRequest played_request(const std::string& item_id, std::optional<int64_t> played_at) const override;
  HttpRequest progress_request(const std::string& item_id, int64_t position_ms) const override;
};

}  // namespace ws
