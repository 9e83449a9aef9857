// Secrets (server tokens, the webhook key) never reach a log line or an error message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ws {

inline constexpr std::string_view kRedacted = "***";

// Replaces the values of token-bearing query parameters (X-Plex-Token, api_key, ApiKey, apikey,
// token; any case) in a URL or query string with ***.
std::string redact_url(std::string_view url);

// Replaces every occurrence of each non-empty secret in `text` with ***.
std::string redact_secrets(std::string_view text, const std::vector<std::string>& secrets);

}  // namespace ws
