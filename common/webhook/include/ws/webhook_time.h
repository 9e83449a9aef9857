// Dates and positions as Jellyfin and Emby send them in webhooks (DESIGN §11): ISO-8601 UTC with
// up to seven fraction digits, positions in 100 ns ticks. Kept here, not in ws_backend, so the
// webhook library does not depend on the backend clients (the two may be merged later).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ws {

// "2025-08-15T21:19:42.3549157Z" -> unix seconds (the fraction is dropped). Accepts a 'T' or a
// space between date and time, any number of fraction digits, and a zone of 'Z', "+HH:MM",
// "+HHMM" or none (taken as UTC). Dates before 1971 (servers send 0001-01-01 for "never") and
// anything that is not such a date give nullopt.
std::optional<int64_t> parse_iso8601(std::string_view text);

// Unix seconds -> "2025-08-15T21:19:42Z".
std::string format_iso8601(int64_t unix_seconds);

// 100 ns ticks -> milliseconds (ticks = ms * 10,000). Negative ticks give 0.
inline int64_t ticks_to_ms(int64_t ticks) { return ticks > 0 ? ticks / 10'000 : 0; }

}  // namespace ws
