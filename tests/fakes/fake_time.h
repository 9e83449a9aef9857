// Time on the wire of the three servers. State times are kept in ticks (100 ns since the unix
// epoch) because Jellyfin and Emby keep seven fraction digits and give back exactly the date a
// client wrote; Plex shows whole seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ws::fake {

inline constexpr int64_t kTicksPerSecond = 10'000'000;
inline constexpr int64_t kTicksPerMs = 10'000;

int64_t now_ticks();
inline int64_t ticks_from_unix(int64_t s) { return s * kTicksPerSecond; }
inline int64_t unix_from_ticks(int64_t t) { return t >= 0 ? t / kTicksPerSecond : -((-t + kTicksPerSecond - 1) / kTicksPerSecond); }

// Unix seconds of a UTC calendar date at midnight.
int64_t unix_from_civil(int year, int month, int day);

// "2025-08-15T21:19:42.3549157Z": ISO-8601 UTC with seven fraction digits (Jellyfin, Emby).
std::string iso_ticks(int64_t ticks);
// "2025-08-15": a Plex originallyAvailableAt.
std::string iso_date(int64_t unix_seconds);

// Parses what clients send as a date: ISO-8601 with or without fraction (any number of digits),
// with Z, an offset or nothing (taken as UTC), or a date alone; Emby's yyyyMMddHHmmss; or plain
// unix seconds. Empty on anything else.
std::optional<int64_t> parse_date_ticks(std::string_view text);

}  // namespace ws::fake
