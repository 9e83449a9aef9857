// gzip for Plex answers. httplib compresses at zlib's default level, which made gzip the fake's
// bottleneck on large pages; level 1 is 4-5x faster at a slightly bigger body.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ws::fake {

// A gzip member holding `data`, or empty if zlib failed.
std::optional<std::string> gzip_fast(std::string_view data);

}  // namespace ws::fake
