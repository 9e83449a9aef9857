#include "ws/fetcher.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "ws/media_item_msgpack.h"

namespace ws {

Fetcher::Fetcher(zmq::context_t& context, FetcherOptions options)
    : options_(checked_worker_options(std::move(options), "fetcher")),
      clients_(options_, "fetcher"),
      worker_(context, job_worker_options(options_, protocol::kServiceFetch),
              [this](const Message& job, JobContext& ctx) { return handle(job, ctx); }) {}

void Fetcher::run() { worker_.run(); }

void Fetcher::stop() { worker_.stop(); }

Result<nlohmann::json> Fetcher::handle(const Message& message, JobContext& ctx) {
  auto job = parse_fetch_job(message.body);
  if (!job) return job.error();
  auto pool = clients_.clients_for(job->server, 1);
  if (!pool) return pool.error();
  BackendClient& client = *(*pool)->clients.front();
  if (job->kind == FetchJob::Kind::plan) return plan(client, job->since);
  if (job->kind == FetchJob::Kind::items) return items(client, *job);
  return pages(client, *job, ctx);
}

// A delta's plan (since > 0) counts what the server's change filter lists, so the pages jobs
// cover the delta only.
Result<nlohmann::json> Fetcher::plan(BackendClient& client, int64_t since) {
  auto identity = client.identity();
  if (!identity) return identity.error();
  auto libraries = client.libraries();
  if (!libraries) return libraries.error();
  nlohmann::json listed = nlohmann::json::array();
  for (Library& library : *libraries) {
    library.changed_since = since;
    int64_t total = 0;
    if (!library.ignored) {
      auto count = client.count_items(library);
      if (!count) return count.error();
      total = *count;
    }
    listed.push_back({{"id", library.id},
                      {"title", library.title},
                      {"kind", std::string(to_string(library.kind))},
                      {"ignored", library.ignored},
                      {"total", total}});
  }
  return nlohmann::json{
      {"identity", {{"id", identity->id}, {"name", identity->name}, {"version", identity->version}}},
      {"libraries", std::move(listed)}};
}

// Follows what the server returns (ItemPage::covered): a page may hold fewer entries than asked,
// and the next one starts where it ended, so no item of the range is skipped or sent twice.
Result<nlohmann::json> Fetcher::pages(BackendClient& client, const FetchJob& job, JobContext& ctx) {
  Library library;
  library.id = job.library;
  library.kind = job.library_kind;
  library.changed_since = job.since;
  const int64_t page_size = job.page_size > 0 ? job.page_size : options_.config.page_size;
  const int64_t end = job.start + job.count;
  int64_t position = job.start;
  int64_t items = 0;
  int64_t batches = 0;
  while (position < end) {
    if (ctx.cancelled()) return make_error(ErrorKind::unavailable, "fetch job " + ctx.job() + " was cancelled");
    auto page = client.fetch_page(library, position, std::min(page_size, end - position));
    if (!page) return page.error();
    if (page->covered() == 0) break;  // the library ended before the range did (it shrank)
    std::string list;  // straight to MessagePack: no DOM on the hot path
    append_items_msgpack(list, page->items);
    items += static_cast<int64_t>(page->items.size());
    position += page->covered();
    ctx.send_batch({{"server", job.server}, {"library", job.library}}, std::move(list));
    ++batches;
    if (position >= page->total) break;
  }
  spdlog::debug("{}: job {} {} library {} [{}, {}): {} items in {} batches", options_.name, ctx.job(), job.server,
                job.library, job.start, end, items, batches);
  return nlohmann::json{{"items", items}, {"batches", batches}};
}

// The one-item fetch of a webhook (docs/protocol.md `kind: "items"`): the items as the server
// reports them now, in the job.done result; an id the server does not list is left out.
Result<nlohmann::json> Fetcher::items(BackendClient& client, const FetchJob& job) {
  auto found = client.fetch_items(job.items);
  if (!found) return found.error();
  nlohmann::json list = nlohmann::json::array();
  for (const MediaItem& item : *found) list.push_back(item);
  return nlohmann::json{{"items", std::move(list)}};
}

}  // namespace ws
