#include "ws/fetch_job.h"

#include "ws/message_fields.h"
#include "ws/protocol.h"

namespace ws {

Result<FetchJob> parse_fetch_job(const nlohmann::json& body) {
  MessageFields fields("job.fetch", body);
  FetchJob job;
  job.server = fields.string("server");
  const std::string kind = fields.string("kind");
  if (!fields.ok()) return fields.as_error();
  // plan and pages: a full listing or a delta (docs/protocol.md job.fetch `import`).
  auto read_import = [&] {
    const std::string import = fields.string_or("import", std::string(protocol::kImportFull));
    if (import == protocol::kImportDelta) {
      job.since = fields.integer("since", 1, INT64_MAX / 2);
    } else if (import != protocol::kImportFull) {
      fields.invalid("import", "is '" + import.substr(0, 32) + "', not full or delta");
    }
  };
  if (kind == "plan") {
    job.kind = FetchJob::Kind::plan;
    read_import();
    if (!fields.ok()) return fields.as_error();
    return job;
  }
  if (kind == protocol::kFetchItems) {
    job.kind = FetchJob::Kind::items;
    fields.require("items");
    job.items = fields.strings_or_empty("items");
    if (fields.ok() && (job.items.empty() || job.items.size() > protocol::kMaxFetchItems))
      fields.invalid("items", "must name 1 to " + std::to_string(protocol::kMaxFetchItems) + " item ids, not " +
                                  std::to_string(job.items.size()));
    for (const auto& id : job.items)
      if (fields.ok() && id.empty()) fields.invalid("items", "holds an empty item id");
    if (!fields.ok()) return fields.as_error();
    return job;
  }
  if (kind != "pages") fields.invalid("kind", "is '" + kind.substr(0, 32) + "', not plan, pages or items");
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
  read_import();
  if (!fields.ok()) return fields.as_error();
  return job;
}

}  // namespace ws
