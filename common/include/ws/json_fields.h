// Small helpers for the JSON forms of our own types: write a field only when it differs from its
// default (records stay compact), read it back leniently (absent = default).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace ws::json_fields {

template <typename T>
void put(nlohmann::json& j, const char* key, const T& value, const T& default_value = T{}) {
  if (!(value == default_value)) j[key] = value;
}

template <typename T>
void get(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) it->get_to(out);
}

}  // namespace ws::json_fields
