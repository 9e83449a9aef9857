#include "ws/backup_record.h"

#include <climits>
#include <cstdint>
#include <string>

#include "ws/store.h"

namespace ws {
namespace {

using nlohmann::json;

enum class Kind { text, flag, int64, int32, ids, servers, progress };

struct Field {
  const char* name;
  Kind kind;
};

// The fields of Record's JSON form (common/record.cpp) and their kinds.
constexpr Field kRecordFields[] = {
    {"watched", Kind::flag},     {"updated", Kind::int64},   {"unmarked_at", Kind::int64}, {"via", Kind::text},
    {"title", Kind::text},       {"year", Kind::int32},      {"season", Kind::int32},      {"episode", Kind::int32},
    {"guids", Kind::ids},        {"parent", Kind::ids},      {"progress", Kind::progress}, {"metadata", Kind::servers},
    {"created_at", Kind::int64}, {"updated_at", Kind::int64}};
constexpr Field kServerFields[] = {
    {"item_id", Kind::text},   {"series_id", Kind::text},   {"library_id", Kind::text},    {"watched", Kind::flag},
    {"played_at", Kind::int64}, {"added_at", Kind::int64},   {"progress_ms", Kind::int64}, {"episode_end", Kind::int32}};
// A backup of schema version 1 also has a server's `path`, `title` and `episode_title`: no
// longer kept (DESIGN §5), they are ignored like any field not listed here.
constexpr Field kProgressFields[] = {{"ms", Kind::int64}, {"via", Kind::text}, {"at", Kind::int64}};

// How a value looks, for a message: short, and never a whole object.
std::string found(const json& v) {
  switch (v.type()) {
    case json::value_t::object: return "an object";
    case json::value_t::array: return "a list";
    case json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      std::string shown = json(s.substr(0, 40)).dump(-1, ' ', false, json::error_handler_t::replace);
      if (s.size() > 40) shown.append("...");
      return "the text " + shown;
    }
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    default: return v.dump();
  }
}

std::string field_error(const std::string& path, const std::string& what) { return "field '" + path + "': " + what; }

bool fits(const json& v, int64_t min, int64_t max) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(max);
  if (v.is_number_integer()) return v.get<int64_t>() >= min && v.get<int64_t>() <= max;
  return false;
}

std::string check(const json& v, Kind kind, const std::string& path);

std::string check_object(const json& v, const Field* fields, size_t count, const std::string& path) {
  if (!v.is_object()) return field_error(path, "expected an object, found " + found(v));
  for (const auto& [key, value] : v.items()) {
    for (size_t i = 0; i < count; ++i) {
      if (key != fields[i].name) continue;
      if (auto why = check(value, fields[i].kind, path + "." + key); !why.empty()) return why;
    }
  }
  return "";
}

std::string check(const json& v, Kind kind, const std::string& path) {
  if (v.is_null()) return "";  // absent: the default
  switch (kind) {
    case Kind::text:
      return v.is_string() ? "" : field_error(path, "expected a text, found " + found(v));
    case Kind::flag:
      return v.is_boolean() ? "" : field_error(path, "expected true or false, found " + found(v));
    case Kind::int64:
      if (!v.is_number_integer()) return field_error(path, "expected a whole number, found " + found(v));
      return fits(v, INT64_MIN, INT64_MAX) ? "" : field_error(path, v.dump() + " is out of range for a 64-bit number");
    case Kind::int32:
      if (!v.is_number_integer()) return field_error(path, "expected a whole number, found " + found(v));
      return fits(v, INT_MIN, INT_MAX) ? "" : field_error(path, v.dump() + " is out of range for a 32-bit number");
    case Kind::ids:
      if (!v.is_object()) return field_error(path, "expected an object of ids, found " + found(v));
      for (const auto& [source, value] : v.items()) {
        if (!value.is_string()) return field_error(path + "." + source, "expected a text, found " + found(value));
      }
      return "";
    case Kind::servers:
      if (!v.is_object()) return field_error(path, "expected an object of servers, found " + found(v));
      for (const auto& [server, meta] : v.items()) {
        if (auto why = check_object(meta, kServerFields, std::size(kServerFields), path + "." + server); !why.empty())
          return why;
      }
      return "";
    case Kind::progress:
      return check_object(v, kProgressFields, std::size(kProgressFields), path);
  }
  return "";
}

}  // namespace

Result<Record> record_from_backup(const json& j) {
  auto refuse = [](std::string why) { return make_error(ErrorKind::invalid_input, std::move(why)); };
  if (!j.is_object()) return refuse("expected an object, found " + found(j));
  const std::string id_range = "1.." + std::to_string(kMaxRecordId);
  auto id = j.find("id");
  if (id == j.end() || id->is_null()) return refuse(field_error("id", "missing"));
  if (!id->is_number_integer()) {
    return refuse(field_error("id", "expected a whole number in " + id_range + ", found " + found(*id)));
  }
  if (!id->is_number_unsigned() || id->get<uint64_t>() == 0 || id->get<uint64_t>() > kMaxRecordId) {
    return refuse(field_error("id", id->dump() + " is out of range " + id_range));
  }
  auto type = j.find("type");
  if (type == j.end() || type->is_null()) return refuse(field_error("type", "missing"));
  if (!type->is_string() || !parse_media_type(type->get_ref<const std::string&>())) {
    return refuse(field_error("type", "expected movie or episode, found " + found(*type)));
  }
  for (const auto& [key, value] : j.items()) {
    for (const auto& field : kRecordFields) {
      if (key != field.name) continue;
      if (auto why = check(value, field.kind, key); !why.empty()) return refuse(why);
    }
  }
  try {
    return j.get<Record>();
  } catch (const std::exception& e) {
    return refuse(e.what());  // a check missed above; still a refusal, never a crash
  }
}

}  // namespace ws
