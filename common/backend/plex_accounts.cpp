// The Plex server owner's account ids (backend_client.h plex_owner_account). The facts behind it
// (Plex's API documents and forum reports): PMS /accounts calls the owner 1 (what old PMS builds
// put in webhooks' Account.id), current builds put the plex.tv account id there, and only
// plex.tv's /api/v2/user says what that id is for the token's account.
#include <algorithm>

#include "client_util.h"
#include "ws/backend_client.h"
#include "ws/json_fields.h"

namespace ws {
namespace {

// The owner in /accounts: id 1 when listed (a real PMS), else the first account after the
// system account 0 (servers that number the owner otherwise list it right after 0).
Result<PlexOwnerAccount> owner_from_accounts(const nlohmann::json& body, const std::string& server_name) {
  const auto* c = lenient::member(body, "MediaContainer");
  const auto* list = c ? lenient::member(*c, "Account") : nullptr;
  PlexOwnerAccount owner;
  if (list && list->is_array()) {
    for (const auto& account : *list) {
      const std::string id = lenient::get_string(account, "id").value_or("");
      if (id.empty() || id == "0") continue;
      if (owner.local_id.empty() || id == "1") {
        owner.local_id = id;
        owner.name = lenient::get_string(account, "name").value_or("");
      }
      if (id == "1") break;
    }
  }
  if (owner.local_id.empty())
    return make_error(ErrorKind::corruption, server_name + ": GET /accounts → no account but the system's");
  return owner;
}

}  // namespace

Result<PlexOwnerAccount> plex_owner_account(const ServerConfig& server, const BackendOptions& options) {
  auto headers = [&options, &server] {
    return std::vector<std::pair<std::string, std::string>>{{"Accept", "application/json"},
                                                            {"X-Plex-Token", server.token},
                                                            {"X-Plex-Client-Identifier", options.client_identifier},
                                                            {"X-Plex-Product", options.product},
                                                            {"X-Plex-Version", options.version}};
  };
  auto pms = backend_detail::make_http(server, options, headers());
  auto accounts = pms->get_json("/accounts");
  if (!accounts) return accounts.error();
  auto owner = owner_from_accounts(*accounts, server.name);
  if (!owner) return owner.error();
  if (options.plex_tv_url.empty()) {
    owner->plextv_error = "plex.tv was not asked";
    return owner;
  }
  // plex.tv answers for the token's account; a person is waiting, so one short attempt.
  ServerConfig plextv = server;
  plextv.name = server.name + " (plex.tv)";
  plextv.url = options.plex_tv_url;
  plextv.verify_tls = true;
  plextv.timeout_s = std::min(server.timeout_s, 10);
  plextv.connect_timeout_s = std::min(server.connect_timeout_s, 5);
  BackendOptions once = options;
  once.retry.max_attempts = 1;
  auto user = backend_detail::make_http(plextv, once, headers())->get_json("/api/v2/user");
  if (!user) {
    owner->plextv_error = user.error().message;
  } else if (auto id = lenient::get_string(*user, "id"); id && !id->empty() && *id != "0") {
    owner->plextv_id = *id;
  } else {
    owner->plextv_error = plextv.name + ": GET /api/v2/user → no account id";
  }
  return owner;
}

}  // namespace ws
