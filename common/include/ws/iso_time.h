// Dates and positions as Jellyfin and Emby send and accept them (DESIGN §11): ISO-8601 UTC with up
// to seven fraction digits, Emby's compact `yyyyMMddHHmmss`, and 100 ns ticks. One reader for
// the backend clients' pages and the webhook parsers alike.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ws::iso_time {

// "2025-08-15T21:19:42.3549157Z" -> unix seconds (the fraction is dropped). Accepts 'T' or a space
// between date and time, a bare date, any number of fraction digits, and a zone of 'Z', "+HH:MM",
// "+HHMM", "+HH" or none (taken as UTC). Servers send 0001-01-01 for "never": any date before
// 1970-01-02 gives nullopt, as does anything that is not such a date.
std::optional<int64_t> parse(std::string_view text);

// Unix seconds -> "2025-08-15T21:19:42.0000000Z" (the form Jellyfin itself writes).
std::string format(int64_t unix_seconds);

// Unix seconds -> "20250815211942" (Emby's DatePlayed parameter, UTC).
std::string format_compact(int64_t unix_seconds);

// Positions: ticks are 100 ns, so ticks = ms * 10,000. Negative input gives 0.
constexpr int64_t ticks_from_ms(int64_t ms) { return ms > 0 ? ms * 10'000 : 0; }
constexpr int64_t ms_from_ticks(int64_t ticks) { return ticks > 0 ? ticks / 10'000 : 0; }

}  // namespace ws::iso_time
