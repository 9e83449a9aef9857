// Text output shared by the commands: aligned tables and dates.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ws {

// Columns a terminal gives `utf8`: East Asian Wide and Fullwidth code points (CJK, Hangul, kana,
// fullwidth forms, most emoji) count 2, combining marks and zero-width characters 0, the rest 1.
// A byte that is not valid UTF-8 counts 1.
size_t display_width(std::string_view utf8);

// Left-aligned columns, two spaces apart, header first, aligned by display width. Rows shorter
// than the header are padded.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

// "2024-05-17 21:19:42" (UTC), or "-" for 0.
std::string format_time(int64_t unix_seconds);

// "89.0 MiB"; "unknown" for a negative value (the figure could not be read).
std::string format_mib(double mib);

// Pretty JSON, one document, newline-terminated.
void print_json(std::ostream& out, const nlohmann::json& value);

}  // namespace ws
