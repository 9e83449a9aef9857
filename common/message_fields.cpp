#include "ws/message_fields.h"
#include <cstdint>

namespace ws {
namespace {

// nlohmann's type names in the words of the wire format (MessagePack has maps, not objects).
std::string kind_of(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: return "a map";
    case nlohmann::json::value_t::array: return "a list";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a float";
    case nlohmann::json::value_t::binary: return "binary";
    case nlohmann::json::value_t::null: return "nil";
    case nlohmann::json::value_t::discarded: break;
  }
  return "nothing";
}

const nlohmann::json& empty_list() {
  static const nlohmann::json list = nlohmann::json::array();
  return list;
}

const nlohmann::json& empty_map() {
  static const nlohmann::json map = nlohmann::json::object();
  return map;
}

}  // namespace

MessageFields::MessageFields(std::string what, const nlohmann::json& body) : what_(std::move(what)), body_(body) {
  if (!body_.is_object()) fail(what_ + " must be a map, not " + kind_of(body_));
}

const nlohmann::json* MessageFields::find(const char* key) const {
  if (!body_.is_object()) return nullptr;
  auto it = body_.find(key);
  if (it == body_.end() || it->is_null()) return nullptr;
  return &*it;
}

void MessageFields::fail(const std::string& sentence) {
  if (error_.empty()) error_ = sentence;
}

void MessageFields::wrong_type(const char* key, const char* wanted, const nlohmann::json& got) {
  fail(what_ + ": '" + key + "' must be " + wanted + ", not " + kind_of(got));
}

void MessageFields::missing(const char* key) { fail(what_ + ": '" + key + "' is missing"); }

void MessageFields::require(const char* key) {
  if (body_.is_object() && !find(key)) missing(key);
}

void MessageFields::invalid(const char* key, const std::string& why) { fail(what_ + ": '" + key + "' " + why); }

std::string MessageFields::string(const char* key) {
  const auto* j = find(key);
  if (!j) return missing(key), std::string();
  if (!j->is_string()) return wrong_type(key, "a string", *j), std::string();
  if (j->get_ref<const std::string&>().empty()) return fail(what_ + ": '" + key + "' is empty"), std::string();
  return j->get<std::string>();
}

std::string MessageFields::string_or(const char* key, std::string fallback) {
  const auto* j = find(key);
  if (!j) return fallback;
  if (!j->is_string()) return wrong_type(key, "a string", *j), fallback;
  return j->get<std::string>();
}

int64_t MessageFields::integer(const char* key, int64_t min, int64_t max) {
  if (!find(key)) return missing(key), min;
  return integer_or(key, min, min, max);
}

int64_t MessageFields::integer_or(const char* key, int64_t fallback, int64_t min, int64_t max) {
  const auto* j = find(key);
  if (!j) return fallback;
  if (!j->is_number_integer()) return wrong_type(key, "an integer", *j), fallback;
  // An unsigned above INT64_MAX is out of every range we use; compare before converting.
  const bool too_big = j->is_number_unsigned() && j->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX);
  const int64_t v = too_big ? INT64_MAX : j->get<int64_t>();
  if (too_big || v < min || v > max) {
    fail(what_ + ": '" + key + "' is out of range " + std::to_string(min) + ".." + std::to_string(max));
    return fallback;
  }
  return v;
}

bool MessageFields::boolean_or(const char* key, bool fallback) {
  const auto* j = find(key);
  if (!j) return fallback;
  if (!j->is_boolean()) return wrong_type(key, "true or false", *j), fallback;
  return j->get<bool>();
}

std::vector<std::string> MessageFields::strings_or_empty(const char* key) {
  std::vector<std::string> out;
  const auto& list = list_or_empty(key);
  for (const auto& s : list) {
    if (!s.is_string() || s.get_ref<const std::string&>().empty()) {
      fail(what_ + ": '" + key + "' must be a list of non-empty strings");
      return {};
    }
    out.push_back(s.get<std::string>());
  }
  return out;
}

const nlohmann::json& MessageFields::map(const char* key) {
  const auto* j = find(key);
  if (!j) return missing(key), empty_map();
  if (!j->is_object()) return wrong_type(key, "a map", *j), empty_map();
  return *j;
}

const nlohmann::json& MessageFields::list_or_empty(const char* key) {
  const auto* j = find(key);
  if (!j) return empty_list();
  if (!j->is_array()) return wrong_type(key, "a list", *j), empty_list();
  return *j;
}

}  // namespace ws
