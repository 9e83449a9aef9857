#include "ws/fetch_job.h"

#include <catch2/catch.hpp>

using nlohmann::json;

namespace {

std::string error_of(const json& body) {
  auto job = ws::parse_fetch_job(body);
  REQUIRE_FALSE(job);
  CHECK(job.error().kind == ws::ErrorKind::invalid_input);
  return job.error().message;
}

}  // namespace

TEST_CASE("a pages job is read with every field, a plan job with its server", "[fetch_job]") {
  auto pages = ws::parse_fetch_job({{"server", "plex1"}, {"kind", "pages"}, {"library", "3"}, {"library_kind", "episode"},
                                    {"start", 100}, {"count", 50}, {"page_size", 25}});
  REQUIRE(pages);
  CHECK(pages->server == "plex1");
  CHECK(pages->kind == ws::FetchJob::Kind::pages);
  CHECK(pages->library == "3");
  CHECK(pages->library_kind == ws::MediaType::episode);
  CHECK(pages->start == 100);
  CHECK(pages->count == 50);
  CHECK(pages->page_size == 25);

  auto plan = ws::parse_fetch_job({{"server", "jf"}, {"kind", "plan"}});
  REQUIRE(plan);
  CHECK(plan->kind == ws::FetchJob::Kind::plan);
  auto no_page_size = ws::parse_fetch_job({{"server", "plex1"}, {"kind", "pages"}, {"library", "3"},
                                           {"library_kind", "movie"}, {"start", 0}, {"count", 5}, {"page_size", nullptr}});
  REQUIRE(no_page_size);
  CHECK(no_page_size->page_size == 0);  // the fetcher's default
}

TEST_CASE("a job.fetch with a wrong field is refused by the field's name", "[fetch_job]") {
  const json pages = {{"server", "plex1"}, {"kind", "pages"}, {"library", "3"}, {"library_kind", "movie"},
                      {"start", 0}, {"count", 5}};
  CHECK(error_of(json::array()) == "job.fetch must be a map, not a list");
  CHECK(error_of({{"kind", "plan"}}) == "job.fetch: 'server' is missing");
  CHECK(error_of({{"server", 7}, {"kind", "plan"}}) == "job.fetch: 'server' must be a string, not an integer");
  CHECK(error_of({{"server", "plex1"}, {"kind", "everything"}}) ==
        "job.fetch: 'kind' is 'everything', not plan, pages or items");
  json wrong = pages;
  wrong["library_kind"] = "music";
  CHECK(error_of(wrong) == "job.fetch: 'library_kind' is 'music', not movie or episode");
  wrong = pages;
  wrong.erase("count");
  CHECK(error_of(wrong) == "job.fetch: 'count' is missing");
  wrong = pages;
  wrong["start"] = -1;
  CHECK(error_of(wrong).find("job.fetch: 'start' is out of range 0..") == 0);
  wrong = pages;
  wrong["page_size"] = 20000;
  CHECK(error_of(wrong) == "job.fetch: 'page_size' is out of range 0..10000");
}

TEST_CASE("an items job (a webhook's one-item fetch) names 1 to 500 item ids", "[fetch_job]") {
  auto items = ws::parse_fetch_job({{"server", "jf"}, {"kind", "items"}, {"items", {"a1", "b2"}}});
  REQUIRE(items);
  CHECK(items->kind == ws::FetchJob::Kind::items);
  CHECK(items->items == std::vector<std::string>{"a1", "b2"});

  auto refused = [](const json& body) {
    auto job = ws::parse_fetch_job(body);
    REQUIRE_FALSE(job);
    return job.error().message;
  };
  CHECK_THAT(refused({{"server", "jf"}, {"kind", "items"}}), Catch::Contains("items"));
  CHECK_THAT(refused({{"server", "jf"}, {"kind", "items"}, {"items", json::array()}}), Catch::Contains("1 to 500"));
  CHECK_THAT(refused({{"server", "jf"}, {"kind", "items"}, {"items", {"a", ""}}}), Catch::Contains("empty"));
  CHECK_THAT(refused({{"server", "jf"}, {"kind", "items"}, {"items", {1}}}), Catch::Contains("items"));
  CHECK_THAT(refused({{"server", "jf"}, {"kind", "items"}, {"items", std::vector<std::string>(501, "x")}}),
             Catch::Contains("1 to 500"));
}

TEST_CASE("plan and pages jobs are full unless they say delta, which needs since", "[fetch_job]") {
  const json pages = {{"server", "plex1"}, {"kind", "pages"}, {"library", "3"}, {"library_kind", "movie"},
                      {"start", 0}, {"count", 5}};
  auto full = ws::parse_fetch_job(pages);
  REQUIRE(full);
  CHECK(full->since == 0);
  json delta = pages;
  delta["import"] = "delta";
  delta["since"] = 1'750'000'000;
  auto read = ws::parse_fetch_job(delta);
  REQUIRE(read);
  CHECK(read->since == 1'750'000'000);
  auto plan = ws::parse_fetch_job({{"server", "jf"}, {"kind", "plan"}, {"import", "delta"}, {"since", 1'700'000'000}});
  REQUIRE(plan);
  CHECK(plan->since == 1'700'000'000);
  auto explicit_full = ws::parse_fetch_job({{"server", "jf"}, {"kind", "plan"}, {"import", "full"}, {"since", 5}});
  REQUIRE(explicit_full);
  CHECK(explicit_full->since == 0);  // since means nothing to a full listing

  json no_since = pages;
  no_since["import"] = "delta";
  CHECK(error_of(no_since) == "job.fetch: 'since' is missing");
  json zero = no_since;
  zero["since"] = 0;
  CHECK(error_of(zero).find("job.fetch: 'since' is out of range 1..") == 0);
  json wrong = pages;
  wrong["import"] = "some";
  CHECK(error_of(wrong) == "job.fetch: 'import' is 'some', not full or delta");
}
