#include "ws/fetch_job.h"

namespace ws {
namespace {

Error field_error(const std::string& what) { return make_error(ErrorKind::invalid_input, "job.fetch: " + what); }

Result<std::string> string_field(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    return field_error(std::string("needs a non-empty string '") + name + "'");
  return it->get<std::string>();
}

Result<int64_t> int_field(const nlohmann::json& body, const char* name, int64_t min, int64_t max, bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) return field_error(std::string("needs an integer '") + name + "'");
    return int64_t{0};
  }
  if (!it->is_number_integer()) return field_error(std::string("'") + name + "' is not an integer");
  const int64_t value = it->get<int64_t>();
  if (value < min || value > max)
    return field_error(std::string("'") + name + "' is " + std::to_string(value) + ", outside " +
                       std::to_string(min) + ".." + std::to_string(max));
  return value;
}

}  // namespace

Result<FetchJob> parse_fetch_job(const nlohmann::json& body) {
  FetchJob job;
  auto server = string_field(body, "server");
  if (!server) return server.error();
  job.server = std::move(server.value());
  auto kind = string_field(body, "kind");
  if (!kind) return kind.error();
  if (*kind == "plan") {
    job.kind = FetchJob::Kind::plan;
    return job;
  }
  if (*kind != "pages") return field_error("'kind' is '" + kind->substr(0, 32) + "', not plan or pages");
  job.kind = FetchJob::Kind::pages;
  auto library = string_field(body, "library");
  if (!library) return library.error();
  job.library = std::move(library.value());
  auto library_kind = string_field(body, "library_kind");
  if (!library_kind) return library_kind.error();
  auto media = parse_media_type(*library_kind);
  if (!media) return field_error("'library_kind' is '" + library_kind->substr(0, 32) + "', not movie or episode");
  job.library_kind = *media;
  auto start = int_field(body, "start", 0, INT64_MAX / 2, true);
  if (!start) return start.error();
  job.start = *start;
  auto count = int_field(body, "count", 0, INT64_MAX / 2, true);
  if (!count) return count.error();
  job.count = *count;
  auto page_size = int_field(body, "page_size", 0, 10000, false);
  if (!page_size) return page_size.error();
  job.page_size = *page_size;
  return job;
}

}  // namespace ws
