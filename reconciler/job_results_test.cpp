#include "ws/job_results.h"

#include <catch2/catch.hpp>

using nlohmann::json;

namespace {

ws::Job export_job(std::vector<std::string> keys) {
  ws::Job job;
  job.id = "r/1";
  job.service = "export";
  job.type = "job.export";
  json actions = json::array();
  for (const auto& k : keys) actions.push_back({{"key", k}, {"action", "play"}});
  job.body = {{"server", "jelly"}, {"actions", actions}};
  return job;
}

ws::Job plan_job() {
  ws::Job job;
  job.id = "r/2";
  job.service = "fetch";
  job.type = "job.fetch";
  job.body = {{"server", "plex"}, {"kind", "plan"}};
  return job;
}

}  // namespace

TEST_CASE("a fetcher's library plan is read with every field checked", "[job_results]") {
  const json good = {{"identity", {{"id", "x"}}},
                     {"libraries",
                      {{{"id", "1"}, {"title", "Films"}, {"kind", "movie"}, {"ignored", false}, {"total", 12}},
                       {{"id", "2"}, {"title", "Shows"}, {"kind", "episode"}, {"ignored", true}, {"total", 0}}}}};
  auto read = ws::read_plan_result(good);
  REQUIRE(read.ok());
  REQUIRE(read->size() == 2);
  CHECK(read->at(0).id == "1");
  CHECK(read->at(0).total == 12);
  CHECK(read->at(1).kind == "episode");
  CHECK(read->at(1).ignored);
  CHECK(ws::check_job_result(plan_job(), good).ok());

  auto refused = [&](json result) {
    auto r = ws::check_job_result(plan_job(), result);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  CHECK_THAT(refused(json::object()), Catch::Contains("'libraries' is missing"));
  CHECK_THAT(refused({{"libraries", "many"}}), Catch::Contains("'libraries' must be a list"));
  CHECK_THAT(refused({{"libraries", {{{"title", "no id"}}}}}), Catch::Contains("'id' is missing"));
  CHECK_THAT(refused({{"libraries", {{{"id", 1}}}}}), Catch::Contains("'id' must be a string"));
  CHECK_THAT(refused({{"libraries", {{{"id", "1"}, {"total", -5}}}}}), Catch::Contains("'total' is out of range"));
  CHECK_THAT(refused({{"libraries", {{{"id", "1"}, {"total", int64_t{1} << 40}}}}}),
             Catch::Contains("'total' is out of range 0..10000000"));
  CHECK_THAT(refused({{"libraries", {{{"id", "1"}, {"kind", "music"}}}}}), Catch::Contains("'kind' must be"));
  CHECK_THAT(refused({{"libraries", {{{"id", "1"}, {"ignored", "no"}}}}}), Catch::Contains("'ignored' must be true or false"));
  CHECK_THAT(refused({{"libraries", {7}}}), Catch::Contains("library must be a map"));
}

TEST_CASE("an exporter's result may name only the job's own actions", "[job_results]") {
  const ws::Job job = export_job({"jelly/1/play", "jelly/2/play"});
  const json good = {{"done", {{{"key", "jelly/1/play"}, {"written", false}}}},
                     {"failed", {{{"key", "jelly/2/play"}, {"error", "HTTP 500"}}}}};
  auto read = ws::read_export_result(good, job.body);
  REQUIRE(read.ok());
  REQUIRE(read->done.size() == 1);
  CHECK_FALSE(read->done[0].written);
  REQUIRE(read->failed.size() == 1);
  CHECK(read->failed[0].error == "HTTP 500");
  CHECK(ws::check_job_result(job, json::object()).ok());  // nothing reported: every action goes again

  auto refused = [&](json result) {
    auto r = ws::check_job_result(job, result);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  CHECK_THAT(refused({{"done", {{{"key", "plex/9/play"}}}}}), Catch::Contains("not an action of this job"));
  CHECK_THAT(refused({{"done", {{{"key", 5}}}}}), Catch::Contains("'key' must be a string"));
  CHECK_THAT(refused({{"done", {{{"key", "jelly/1/play"}, {"written", "yes"}}}}}), Catch::Contains("'written'"));
  CHECK_THAT(refused({{"failed", {{{"key", "jelly/1/play"}, {"error", 500}}}}}), Catch::Contains("'error'"));
  CHECK_THAT(refused({{"failed", "all of them"}}), Catch::Contains("'failed' must be a list"));
  CHECK_THAT(refused(json::array()), Catch::Contains("must be a map"));
}

TEST_CASE("a page job's counts are checked when present", "[job_results]") {
  ws::Job job = plan_job();
  job.body["kind"] = "pages";
  CHECK(ws::check_job_result(job, {{"items", 10}, {"batches", 1}}).ok());
  CHECK(ws::check_job_result(job, json::object()).ok());
  CHECK_FALSE(ws::check_job_result(job, {{"items", "ten"}}).ok());
  CHECK_FALSE(ws::check_job_result(job, {{"batches", -1}}).ok());
}

TEST_CASE("an exporter's result says how each action ended and what the server shows after it",
          "[job_results]") {
  const ws::Job job = export_job({"a", "b", "c", "d", "e"});
  const json result = {
      {"done",
       {{{"key", "a"}, {"written", true}, {"outcome", "written"},
         {"state", {{"watched", false}, {"played_at", 0}, {"progress_ms", 0}}}},
        {{"key", "b"}, {"written", false}, {"outcome", "skipped"}, {"reason", "rewatched"},
         {"state", {{"watched", true}, {"played_at", 1700000000}}}},
        {{"key", "c"}, {"outcome", "gone"}},
        {{"key", "d"}, {"written", false}},  // an exporter of before the read-back
        {{"key", "e"}, {"written", true}, {"state", nullptr}}}}};
  auto read = ws::read_export_result(result, job.body);
  INFO((read ? "" : read.error().message));
  REQUIRE(read.ok());
  REQUIRE(read->done.size() == 5);
  const auto& d = read->done;
  CHECK(d[0].outcome == ws::ExportOutcomeKind::written);
  REQUIRE(d[0].state);
  CHECK_FALSE(d[0].state->watched);
  CHECK(d[1].outcome == ws::ExportOutcomeKind::skipped);
  CHECK(d[1].reason == "rewatched");
  CHECK(d[1].state->played_at == 1700000000);
  CHECK(d[2].outcome == ws::ExportOutcomeKind::gone);
  CHECK_FALSE(d[2].written);
  CHECK_FALSE(d[2].state);
  CHECK(d[3].outcome == ws::ExportOutcomeKind::unchanged);
  CHECK(d[4].written);
  CHECK_FALSE(d[4].state);

  auto refused = [&](json entry) {
    auto r = ws::check_job_result(job, {{"done", {std::move(entry)}}});
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  CHECK_THAT(refused({{"key", "a"}, {"outcome", "exploded"}}), Catch::Contains("'outcome'"));
  CHECK_THAT(refused({{"key", "a"}, {"outcome", "gone"}, {"written", true}}), Catch::Contains("'written'"));
  CHECK_THAT(refused({{"key", "a"}, {"state", {{"watched", "yes"}}}}), Catch::Contains("'watched'"));
  CHECK_THAT(refused({{"key", "a"}, {"state", {{"played_at", -5}}}}), Catch::Contains("'played_at'"));
  CHECK_THAT(refused({{"key", "a"}, {"state", "played"}}), Catch::Contains("state"));
}
