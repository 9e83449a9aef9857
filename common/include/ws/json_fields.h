// Reading and writing fields of JSON objects: the one set of helpers for it, in two kinds (the
// third, the fields of a message a peer sent, checked before use, is ws::MessageFields in
// ws/message_fields.h).
//
// - ws::lenient: what the servers send (DESIGN §11). Plex sometimes sends numbers as strings,
//   Jellyfin omits nulls, webhooks send nulls. Every reader returns nullopt for an absent key, a
//   null, or a value that cannot be read as the asked type; none throws. `obj` may be any JSON
//   value: a non-object simply has no keys.
// - ws::json_fields::put / get: our own types (records, items). A field is written only when it
//   differs from its default, so records stay compact, and read back with absent = default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ws::lenient {

// The member `key` of an object, or nullptr (absent, null, or `obj` is not an object).
const nlohmann::json* member(const nlohmann::json& obj, std::string_view key);
// The member when it is an object, else nullptr.
const nlohmann::json* object_member(const nlohmann::json& obj, std::string_view key);

// A string as is; a number as its decimal text; a bool as "true"/"false".
std::optional<std::string> get_string(const nlohmann::json& obj, std::string_view key);

// An integer; a float (truncated); a string holding an integer or a float ("12", " +12.5 ").
std::optional<int64_t> get_int(const nlohmann::json& obj, std::string_view key);

// get_int narrowed to int (season and episode numbers, years, counts); nullopt out of range.
std::optional<int> get_int32(const nlohmann::json& obj, std::string_view key);

// A bool; a number (non-zero is true); "true"/"false"/"1"/"0"/"yes"/"no" in any case.
std::optional<bool> get_bool(const nlohmann::json& obj, std::string_view key);

// An ISO-8601 date (ws/iso_time.h) as unix seconds; nullopt for "never" (0001-01-01) too.
std::optional<int64_t> get_date(const nlohmann::json& obj, std::string_view key);

// The same readers for a value already in hand.
std::optional<std::string> as_string(const nlohmann::json& value);
std::optional<int64_t> as_int(const nlohmann::json& value);
std::optional<bool> as_bool(const nlohmann::json& value);

// The readings of one scalar that the readers above share with the simdjson page readers
// (ws/page_reader.h), so both paths read a value the same way.
// as_string of a float: its integer text when integral and small, else nlohmann's dump.
std::string text_of_float(double value);
// as_int of a float: truncated; nullopt when not finite or beyond int64.
std::optional<int64_t> int_of_float(double value);
// as_int of a string: " +12 " and "12.5" (the integer part, the rest digits) read; else nullopt.
std::optional<int64_t> int_of_text(std::string_view text);
// as_bool of a string: "true"/"false"/"1"/"0"/"yes"/"no" in any case; else nullopt.
std::optional<bool> bool_of_text(std::string_view text);

}  // namespace ws::lenient

namespace ws::json_fields {

template <typename T>
void put(nlohmann::json& j, const char* key, const T& value, const T& default_value = T{}) {
  if (!(value == default_value)) j[key] = value;
}

// Throws nlohmann's exceptions when the field has another type (our own data: a bug or damage).
template <typename T>
void get(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) it->get_to(out);
}

}  // namespace ws::json_fields
