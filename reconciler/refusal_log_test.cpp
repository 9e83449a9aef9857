#include "ws/refusal_log.h"

#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

using namespace std::chrono_literals;

TEST_CASE("each kind of refusal is logged once per peer per minute", "[refusal_log]") {
  ws::RefusalLog::Clock::time_point now{1h};
  ws::RefusalLog log("workers", [&] { return now; });
  CHECK(log.refused("peer-a", "job.done", "job.done: 'job' is missing"));
  CHECK_FALSE(log.refused("peer-a", "job.done", "job.done: 'job' is missing"));
  CHECK_FALSE(log.refused("peer-a", "job.done", "job.done: 'attempt' is missing"));
  CHECK(log.refused("peer-a", "worker.ready", "worker.ready: 'serves' is missing"));  // another kind
  CHECK(log.refused("peer-b", "job.done", "job.done: 'job' is missing"));             // another peer
  now += 59s;
  CHECK_FALSE(log.refused("peer-a", "job.done", "still"));
  now += 1s;
  CHECK(log.refused("peer-a", "job.done", "a minute later"));
  CHECK_FALSE(log.refused("peer-a", "job.done", "again"));
}

TEST_CASE("a flood of peers does not grow the log's memory without bound", "[refusal_log]") {
  ws::RefusalLog::Clock::time_point now{1h};
  ws::RefusalLog log("events", [&] { return now; });
  const auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::off);  // ten thousand first refusals, each logged
  for (int i = 0; i < 10000; ++i) {
    log.refused("peer-" + std::to_string(i), "event.webhook", "refused");
    REQUIRE(log.tracked() <= ws::RefusalLog::kMaxTracked);
  }
  spdlog::set_level(level);
  // Still logs a known peer's refusal once its minute is over, and still holds back within it.
  CHECK(log.refused("peer-new", "event.webhook", "refused"));
  CHECK_FALSE(log.refused("peer-new", "event.webhook", "refused"));
}
