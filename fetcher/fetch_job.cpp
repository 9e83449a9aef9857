#include "ws/fetch_job.h"

#include "ws/json_fields.h"

namespace ws {
namespace {

constexpr std::string_view kWhere = "job.fetch";

Error field_error(const std::string& what) {
  return make_error(ErrorKind::invalid_input, std::string(kWhere) + ": " + what);
}

}  // namespace

Result<FetchJob> parse_fetch_job(const nlohmann::json& body) {
  FetchJob job;
  auto server = json_fields::string_field(body, kWhere, "server");
  if (!server) return server.error();
  job.server = std::move(server.value());
  auto kind = json_fields::string_field(body, kWhere, "kind");
  if (!kind) return kind.error();
  if (*kind == "plan") {
    job.kind = FetchJob::Kind::plan;
    return job;
  }
  if (*kind != "pages") return field_error("'kind' is '" + kind->substr(0, 32) + "', not plan or pages");
  job.kind = FetchJob::Kind::pages;
  auto library = json_fields::string_field(body, kWhere, "library");
  if (!library) return library.error();
  job.library = std::move(library.value());
  auto library_kind = json_fields::string_field(body, kWhere, "library_kind");
  if (!library_kind) return library_kind.error();
  auto media = parse_media_type(*library_kind);
  if (!media) return field_error("'library_kind' is '" + library_kind->substr(0, 32) + "', not movie or episode");
  job.library_kind = *media;
  auto start = json_fields::int_field(body, kWhere, "start", 0, INT64_MAX / 2);
  if (!start) return start.error();
  job.start = *start;
  auto count = json_fields::int_field(body, kWhere, "count", 0, INT64_MAX / 2);
  if (!count) return count.error();
  job.count = *count;
  auto page_size = json_fields::int_field(body, kWhere, "page_size", 0, 10000, 0);
  if (!page_size) return page_size.error();
  job.page_size = *page_size;
  return job;
}

}  // namespace ws
