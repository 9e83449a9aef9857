#include "ws/json_fields.h"

#include <charconv>
#include <cmath>

#include "ws/iso_time.h"
#include "ws/text.h"

namespace ws::lenient {

const nlohmann::json* member(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

const nlohmann::json* object_member(const nlohmann::json& obj, std::string_view key) {
  const auto* m = member(obj, key);
  return m && m->is_object() ? m : nullptr;
}

std::string text_of_float(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return std::to_string(static_cast<int64_t>(d));
  return nlohmann::json(d).dump();
}

std::optional<int64_t> int_of_float(double d) {
  if (!std::isfinite(d) || std::fabs(d) > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(d);
}

std::optional<int64_t> int_of_text(std::string_view text) {
  const std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;
  int64_t out = 0;
  const char* begin = s.data() + (s.front() == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), out);
  if (ec != std::errc()) return std::nullopt;
  if (end == s.data() + s.size()) return out;
  if (*end == '.') {  // "12.5": keep the integer part if the rest is digits
    for (const char* p = end + 1; p < s.data() + s.size(); ++p)
      if (*p < '0' || *p > '9') return std::nullopt;
    return out;
  }
  return std::nullopt;
}

std::optional<bool> bool_of_text(std::string_view text) {
  const std::string s = ascii_lower(text);
  if (s == "true" || s == "1" || s == "yes") return true;
  if (s == "false" || s == "0" || s == "no") return false;
  return std::nullopt;
}

std::optional<std::string> as_string(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return v.is_number_unsigned() ? std::to_string(v.get<uint64_t>()) : std::to_string(v.get<int64_t>());
  if (v.is_number_float()) return text_of_float(v.get<double>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return std::nullopt;
}

std::optional<int64_t> as_int(const nlohmann::json& v) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned()) {
      const auto u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return static_cast<int64_t>(u);
    }
    return v.get<int64_t>();
  }
  if (v.is_number_float()) return int_of_float(v.get<double>());
  if (v.is_string()) return int_of_text(v.get_ref<const std::string&>());
  return std::nullopt;
}

std::optional<bool> as_bool(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return bool_of_text(v.get_ref<const std::string&>());
  return std::nullopt;
}

std::optional<std::string> get_string(const nlohmann::json& obj, std::string_view key) {
  const auto* v = member(obj, key);
  return v ? as_string(*v) : std::nullopt;
}

std::optional<int64_t> get_int(const nlohmann::json& obj, std::string_view key) {
  const auto* v = member(obj, key);
  return v ? as_int(*v) : std::nullopt;
}

std::optional<int> get_int32(const nlohmann::json& obj, std::string_view key) {
  auto v = get_int(obj, key);
  if (!v || *v < INT32_MIN || *v > INT32_MAX) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<bool> get_bool(const nlohmann::json& obj, std::string_view key) {
  const auto* v = member(obj, key);
  return v ? as_bool(*v) : std::nullopt;
}

std::optional<int64_t> get_date(const nlohmann::json& obj, std::string_view key) {
  const auto* v = member(obj, key);
  if (!v || !v->is_string()) return std::nullopt;
  return iso_time::parse(v->get_ref<const std::string&>());
}

}  // namespace ws::lenient
