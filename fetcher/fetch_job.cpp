#include "ws/fetch_job.h"

#include "ws/message_fields.h"

namespace ws {

Result<FetchJob> parse_fetch_job(const nlohmann::json& body) {
  MessageFields fields("job.fetch", body);
  FetchJob job;
  job.server = fields.string("server");
  const std::string kind = fields.string("kind");
  if (!fields.ok()) return fields.as_error();
  if (kind == "plan") {
    job.kind = FetchJob::Kind::plan;
    return job;
  }
  if (kind != "pages") fields.invalid("kind", "is '" + kind.substr(0, 32) + "', not plan or pages");
  job.kind = FetchJob::Kind::pages;
  job.library = fields.string("library");
  const std::string library_kind = fields.string("library_kind");
  if (auto media = parse_media_type(library_kind)) {
    job.library_kind = *media;
  } else if (!library_kind.empty()) {
    fields.invalid("library_kind", "is '" + library_kind.substr(0, 32) + "', not movie or episode");
  }
  job.start = fields.integer("start", 0, INT64_MAX / 2);
  job.count = fields.integer("count", 0, INT64_MAX / 2);
  job.page_size = fields.integer_or("page_size", 0, 0, 10000);
  if (!fields.ok()) return fields.as_error();
  return job;
}

}  // namespace ws
