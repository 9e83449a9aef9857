#include "ws/record.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "record_msgpack.h"
#include "ws/json_fields.h"

namespace ws {
namespace {
// First byte of an encoded record: the layout of what follows (record_msgpack.h). 2 is written;
// 1 (MessagePack of the JSON form) is read to migrate a store of schema version 1.
constexpr char kRecordLayout = 2;
constexpr char kRecordLayoutV1 = 1;
}  // namespace

void to_json(nlohmann::json& j, const ServerMeta& m) {
  using json_fields::put;
  j = nlohmann::json::object();
  put(j, "item_id", m.item_id);
  put(j, "series_id", m.series_id);
  put(j, "library_id", m.library_id);
  put(j, "watched", m.watched);
  put(j, "played_at", m.played_at);
  put(j, "added_at", m.added_at);
  put(j, "progress_ms", m.progress_ms);
  put(j, "episode_end", m.episode_end, -1);
  put(j, "ignored_writes", m.ignored_writes);
  put(j, "ignored_watched", m.ignored_watched);
}

void from_json(const nlohmann::json& j, ServerMeta& m) {
  using json_fields::get;
  m = ServerMeta{};
  get(j, "item_id", m.item_id);
  get(j, "series_id", m.series_id);
  get(j, "library_id", m.library_id);
  get(j, "watched", m.watched);
  get(j, "played_at", m.played_at);
  get(j, "added_at", m.added_at);
  get(j, "progress_ms", m.progress_ms);
  get(j, "episode_end", m.episode_end);
  get(j, "ignored_writes", m.ignored_writes);
  get(j, "ignored_watched", m.ignored_watched);
}

void to_json(nlohmann::json& j, const Progress& p) {
  j = nlohmann::json::object();
  json_fields::put(j, "ms", p.ms);
  json_fields::put(j, "via", p.via);
  json_fields::put(j, "at", p.at);
}

void from_json(const nlohmann::json& j, Progress& p) {
  p = Progress{};
  json_fields::get(j, "ms", p.ms);
  json_fields::get(j, "via", p.via);
  json_fields::get(j, "at", p.at);
}

void to_json(nlohmann::json& j, const Record& r) {
  using json_fields::put;
  j = nlohmann::json::object();
  j["id"] = r.id;
  j["type"] = to_string(r.type);
  j["watched"] = r.watched;
  put(j, "updated", r.updated);
  put(j, "unmarked_at", r.unmarked_at);
  put(j, "via", r.via);
  put(j, "title", r.title);
  put(j, "year", r.year);
  put(j, "season", r.season, -1);
  put(j, "episode", r.episode, -1);
  put(j, "guids", r.guids);
  put(j, "parent", r.parent);
  if (r.progress.ms != 0 || !r.progress.via.empty()) j["progress"] = r.progress;
  put(j, "metadata", r.metadata);
  put(j, "created_at", r.created_at);
  put(j, "updated_at", r.updated_at);
}

void from_json(const nlohmann::json& j, Record& r) {
  using json_fields::get;
  r = Record{};
  get(j, "id", r.id);
  std::string type;
  get(j, "type", type);
  auto parsed = parse_media_type(type);
  if (!parsed) throw nlohmann::json::other_error::create(501, "record type '" + type + "' is not movie or episode", &j);
  r.type = *parsed;
  get(j, "watched", r.watched);
  get(j, "updated", r.updated);
  get(j, "unmarked_at", r.unmarked_at);
  get(j, "via", r.via);
  get(j, "title", r.title);
  get(j, "year", r.year);
  get(j, "season", r.season);
  get(j, "episode", r.episode);
  get(j, "guids", r.guids);
  get(j, "parent", r.parent);
  get(j, "progress", r.progress);
  get(j, "metadata", r.metadata);
  get(j, "created_at", r.created_at);
  get(j, "updated_at", r.updated_at);
}

std::string encode_record(const Record& record) {
  std::string out(1, kRecordLayout);
  out.reserve(256);
  record_msgpack::write(out, record);
  return out;
}

Record decode_record_for(std::string_view bytes, const std::string& server, size_t& metadata_at) {
  metadata_at = std::string_view::npos;
  if (bytes.empty() || bytes[0] != kRecordLayout) return decode_record(bytes);
  Record r;
  size_t at = 0;
  if (!record_msgpack::read(bytes.substr(1), r, &server, &at)) return decode_record(bytes);  // throws as it does
  if (at != std::string_view::npos) metadata_at = at + 1;
  return r;
}

void complete_record(std::string_view bytes, size_t metadata_at, Record& record) {
  if (metadata_at == std::string_view::npos) return;
  if (!record_msgpack::read_metadata(bytes, metadata_at, record))
    throw std::runtime_error("record: undecodable metadata in a layout 2 value of " + std::to_string(bytes.size()) +
                             " bytes");
}

Record decode_record(std::string_view bytes) {
  if (bytes.empty()) throw std::runtime_error("record: empty value");
  if (bytes[0] == kRecordLayout) {
    if (Record r; record_msgpack::read(bytes.substr(1), r)) return r;
    throw std::runtime_error("record: undecodable layout 2 value of " + std::to_string(bytes.size()) + " bytes");
  }
  if (bytes[0] != kRecordLayoutV1)
    throw std::runtime_error("record: unknown layout " + std::to_string(static_cast<int>(bytes[0])));
  if (Record fast; record_msgpack::read_v1(bytes.substr(1), fast)) return fast;
  // Anything of another shape goes through the DOM, which reads or rejects it as it always did.
  try {
    auto j = nlohmann::json::from_msgpack(bytes.substr(1));
    return j.get<Record>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("record: undecodable: ") + e.what());
  }
}

}  // namespace ws
