// Text output shared by the commands: aligned tables and dates.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ws {

// Left-aligned columns, two spaces apart, header first. Rows shorter than the header are padded.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

// "2024-05-17 21:19:42" (UTC), or "-" for 0.
std::string format_time(int64_t unix_seconds);

// Pretty JSON, one document, newline-terminated.
void print_json(std::ostream& out, const nlohmann::json& value);

}  // namespace ws
