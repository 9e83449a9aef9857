// Lenient reads of server JSON (DESIGN §11): Plex sometimes sends numbers as strings, Jellyfin
// omits nulls, webhooks send nulls. Every reader returns nullopt for an absent key, a null, or a
// value that cannot be read as the asked type; none throws. `obj` may be any JSON value: a
// non-object simply has no keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ws::lenient {

// The member `key` of an object, or nullptr (absent, or `obj` is not an object).
const nlohmann::json* member(const nlohmann::json& obj, std::string_view key);

// A string as is; a number as its decimal text; a bool as "true"/"false".
std::optional<std::string> get_string(const nlohmann::json& obj, std::string_view key);

// An integer; a float (truncated); a string holding an integer or a float ("12", " 12.5 ").
std::optional<int64_t> get_int(const nlohmann::json& obj, std::string_view key);

// A bool; a number (non-zero is true); "true"/"false"/"1"/"0" in any case.
std::optional<bool> get_bool(const nlohmann::json& obj, std::string_view key);

// The same readers for a value already in hand.
std::optional<std::string> as_string(const nlohmann::json& value);
std::optional<int64_t> as_int(const nlohmann::json& value);
std::optional<bool> as_bool(const nlohmann::json& value);

}  // namespace ws::lenient
