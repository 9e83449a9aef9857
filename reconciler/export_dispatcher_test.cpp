// The export dispatcher over a real store and a real broker (no worker connects: the jobs stay
// queued), the exporter's answers given by the test as the broker would hand them over: what
// the server reports goes into the records, ignored writes are counted and given up, gone items
// are dropped, unmarks are logged for the guard, and a refused push waits for --force.
#include "ws/export_dispatcher.h"

#include <catch2/catch.hpp>

#include "import_testutil.h"
#include "store_testutil.h"
#include "ws/batch_applier.h"

using namespace ws;
using nlohmann::json;
using testutil::import_at;

namespace {

std::string next_endpoint() {
  static int counter = 0;
  return "inproc://export-dispatcher-test-" + std::to_string(++counter);
}

MediaItem film(const std::string& server, int i, bool watched, int64_t played_at = 0) {
  MediaItem item;
  item.server = server;
  item.item_id = server + "-" + std::to_string(i);
  item.type = MediaType::movie;
  item.title = "Film " + std::to_string(i);
  item.guids["imdb"] = "tt" + std::to_string(2000000 + i);
  item.watched = watched;
  item.played_at = played_at;
  item.added_at = 1000;
  return item;
}

// A servers.yaml entry with nothing but its name (every switch at its default).
ServerConfig named(const std::string& name) {
  ServerConfig s;
  s.name = name;
  return s;
}

struct Fixture {
  testutil::TempDir dir;
  std::unique_ptr<Store> store = testutil::open_writer(dir.db());
  zmq::context_t context;
  zmq::socket_t router{context, zmq::socket_type::router};
  std::unique_ptr<JobBroker> broker;
  ReconcilerOptions options;
  int64_t clock = 10'000;
  RunSummary summary;
  std::vector<std::pair<std::string, bool>> finished;  // on_server_done calls
  std::unique_ptr<ExportDispatcher> dispatcher;

  Fixture() {
    router.set(zmq::sockopt::linger, 0);
    router.bind(next_endpoint());
    broker = std::make_unique<JobBroker>(router, JobBroker::Options{});
    options.now = [this] { return clock; };
    options.config.export_max_ignored = 3;
    dispatcher = std::make_unique<ExportDispatcher>(
        *store, *broker, options, "test/", summary,
        ExportDispatcher::Callbacks{[this](const std::string& s, bool ok) { finished.emplace_back(s, ok); }, nullptr});
  }

  ExportPlan plan(const std::string& server, bool full = false) {
    return plan_export(*store, server, dispatcher->plan_options(named(server), full));
  }

  // The broker's `done` event for a job of `actions`, answered with one entry per action.
  void answer(const std::string& server, const std::vector<PlannedExport>& actions, const std::vector<json>& entries) {
    BrokerEvent e{BrokerEvent::Kind::done, {}, {}};
    e.job.id = "test/" + std::to_string(++answers);
    e.job.server = server;
    e.job.type = "job.export";
    json list = json::array();
    for (const auto& a : actions) list.push_back({{"key", a.key()}});
    e.job.body = {{"server", server}, {"actions", list}};
    json done = json::array();
    for (size_t i = 0; i < actions.size(); ++i) {
      json entry = entries[i];
      entry["key"] = actions[i].key();
      done.push_back(entry);
    }
    e.body = {{"done", done}};
    dispatcher->on_event(e);
  }
  int answers = 0;

  const ServerMeta& meta_of(const std::string& server, const std::string& item_id) {
    static ServerMeta none;
    auto records = store->records_of_item(server, item_id);
    REQUIRE(records.size() == 1);
    held = records.front();
    auto it = held.metadata.find(server);
    return it == held.metadata.end() ? none : it->second;
  }
  Record held;
};

json read_back(bool watched, int64_t played_at = 0) {
  return {{"state", {{"watched", watched}, {"played_at", played_at}, {"progress_ms", 0}}}};
}

}  // namespace

TEST_CASE("the server's read-back state becomes its metadata, never what was sent", "[export][dispatcher]") {
  Fixture f;
  REQUIRE(apply_items(*f.store, {film("plex", 1, true, 2000), film("jelly", 1, false)}, import_at(5000)).ok());
  auto plan = f.plan("jelly");
  REQUIRE(plan.actions.size() == 1);
  const auto actions = plan.actions;
  f.dispatcher->dispatch(std::move(plan), {});
  CHECK(f.broker->queued() == 1);
  CHECK(f.store->outbox().size() == 1);
  CHECK(f.dispatcher->busy("jelly"));

  json written = read_back(true, 2000);
  written["written"] = true;
  f.answer("jelly", actions, {written});
  CHECK(f.meta_of("jelly", "jelly-1").watched);
  CHECK(f.meta_of("jelly", "jelly-1").played_at == 2000);
  CHECK(f.meta_of("jelly", "jelly-1").ignored_writes == 0);
  CHECK(f.store->outbox().empty());
  CHECK_FALSE(f.dispatcher->busy());
  CHECK(f.finished == std::vector<std::pair<std::string, bool>>{{"jelly", true}});
  CHECK(f.summary.servers["jelly"].written == 1);
  CHECK(f.plan("jelly", true).actions.empty());
}

TEST_CASE("a write the server ignored is retried max_ignored times, then reported and no longer planned",
          "[export][dispatcher][ignored]") {
  Fixture f;
  REQUIRE(apply_items(*f.store, {film("plex", 1, true, 2000), film("jelly", 1, false)}, import_at(5000)).ok());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    INFO("attempt " << attempt);
    f.clock += 100;
    // Push mode after the first: the ignored write moved updated_at, so the record is planned again.
    auto plan = attempt == 1 ? f.plan("jelly", true) : plan_export(*f.store, "jelly", [&] {
      auto o = f.dispatcher->plan_options(named("jelly"), false);
      o.since = f.clock - 150;
      return o;
    }());
    REQUIRE(plan.actions.size() == 1);
    const auto actions = plan.actions;
    f.dispatcher->dispatch(std::move(plan), {});
    json ignored = read_back(false);  // answered as done, still unplayed
    ignored["written"] = true;
    f.answer("jelly", actions, {ignored});
    CHECK(f.meta_of("jelly", "jelly-1").ignored_writes == attempt);
    CHECK_FALSE(f.meta_of("jelly", "jelly-1").watched);
    CHECK(f.held.updated_at == f.clock);
    CHECK(f.summary.servers["jelly"].ignored == static_cast<uint64_t>(attempt));
  }
  auto given_up = f.plan("jelly");
  CHECK(given_up.actions.empty());
  CHECK(given_up.given_up == 1);
  CHECK(f.store->stats(3).ignored_writes["jelly"].given_up == 1);
  // state:export -f tries again.
  CHECK(f.plan("jelly", true).actions.size() == 1);

  SECTION("once the server's own flag changed, its next difference is planned again") {
    // Played on jelly by hand (an import reports it), then unmarked on plex, which had it played.
    REQUIRE(apply_items(*f.store, {film("jelly", 1, true, 20000)}, import_at(20000, 5000)).ok());
    CHECK(f.store->stats(3).ignored_writes["jelly"].items == 0);
    REQUIRE(apply_items(*f.store, {film("plex", 1, false)}, import_at(21000, 20000)).ok());
    auto again = f.plan("jelly");
    REQUIRE(again.actions.size() == 1);
    CHECK(again.actions[0].kind == PlannedExportKind::unplay);
    CHECK(again.given_up == 0);
  }
}

TEST_CASE("an item the server no longer has is dropped from the record as gone, not as a failure",
          "[export][dispatcher][gone]") {
  Fixture f;
  REQUIRE(apply_items(*f.store, {film("plex", 1, true, 2000), film("jelly", 1, false)}, import_at(5000)).ok());
  auto plan = f.plan("jelly");
  const auto actions = plan.actions;
  f.dispatcher->dispatch(std::move(plan), {});
  f.answer("jelly", actions, {{{"written", false}, {"outcome", "gone"}}});
  CHECK(f.store->records_of_item("jelly", "jelly-1").empty());
  auto record = f.store->records_of_item("plex", "plex-1");
  REQUIRE(record.size() == 1);
  CHECK(record[0].watched);
  CHECK(record[0].metadata.count("jelly") == 0);
  CHECK(f.summary.servers["jelly"].gone == 1);
  CHECK(f.summary.servers["jelly"].failed == 0);
  CHECK(f.summary.ok());
  CHECK(f.finished == std::vector<std::pair<std::string, bool>>{{"jelly", true}});
}

TEST_CASE("an unplay left for a re-watch keeps the server's play, and written unmarks feed the guard's window",
          "[export][dispatcher][rewatch]") {
  Fixture f;
  REQUIRE(apply_items(*f.store, {film("plex", 1, true, 2000), film("jelly", 1, true, 2000), film("plex", 2, true, 2000),
                                 film("jelly", 2, true, 2000)},
                      import_at(5000))
              .ok());
  REQUIRE(apply_items(*f.store, {film("plex", 1, false), film("plex", 2, false)}, import_at(7000, 5000)).ok());
  auto plan = f.plan("jelly");
  REQUIRE(plan.actions.size() == 2);
  CHECK(plan.actions[0].unmarked_at == 7000);
  const auto actions = plan.actions;
  f.dispatcher->dispatch(std::move(plan), {});
  json skipped = read_back(true, 8000);
  skipped["written"] = false;
  skipped["outcome"] = "skipped";
  skipped["reason"] = "rewatched";
  json unplayed = read_back(false);
  unplayed["written"] = true;
  f.answer("jelly", actions, {skipped, unplayed});
  CHECK(f.summary.servers["jelly"].skipped == 1);
  CHECK(f.meta_of("jelly", "jelly-1").watched);
  CHECK(f.meta_of("jelly", "jelly-1").played_at == 8000);
  CHECK_FALSE(f.meta_of("jelly", "jelly-2").watched);
  CHECK(f.store->unmarks_written("jelly", 0) == 1);  // the written one only
  CHECK(f.dispatcher->plan_options(named("jelly"), false).unmarks_in_window == 1);
  f.clock += 86'400 + 1;
  CHECK(f.dispatcher->plan_options(named("jelly"), false).unmarks_in_window == 0);
}

TEST_CASE("a push the guard refuses waits in the outbox, marked refused, until --force", "[export][dispatcher][guard]") {
  Fixture f;
  std::vector<MediaItem> played, unmarked;
  for (int i = 0; i < 6; ++i) {
    played.push_back(film("plex", i, true, 2000));
    played.push_back(film("jelly", i, true, 2000));
    unmarked.push_back(film("plex", i, false));
  }
  REQUIRE(apply_items(*f.store, played, import_at(5000)).ok());
  REQUIRE(apply_items(*f.store, unmarked, import_at(7000, 5000)).ok());
  std::vector<uint64_t> ids;
  f.store->for_each([&](const Record& r) { return ids.push_back(r.id), true; });

  f.dispatcher->push(named("jelly"), ids, {});
  CHECK(f.broker->queued() == 0);
  CHECK_THAT(f.summary.servers["jelly"].refused, Catch::Contains("6 of 6"));
  const auto outbox = f.store->outbox();
  REQUIRE(outbox.size() == 6);
  for (const auto& [key, value] : outbox) CHECK(json::parse(value).value("refused", false));

  // A restart leaves them where they are.
  std::vector<PlannedExport> left;
  for (const auto& [key, value] : outbox) left.push_back(json::parse(value).get<PlannedExport>());
  f.dispatcher->resume(left, false);
  CHECK(f.broker->queued() == 0);

  SECTION("state:export --force sends them") {
    ExportPlan nothing;
    nothing.server = "jelly";
    DispatchMode force;
    force.force = true;
    f.dispatcher->dispatch(std::move(nothing), force);
    CHECK(f.broker->queued() == 1);  // one job of six actions
    CHECK(f.summary.servers["jelly"].planned == 12);  // 6 refused, then the 6 sent
    for (const auto& [key, value] : f.store->outbox()) CHECK_FALSE(json::parse(value).value("refused", false));
  }
  SECTION("a plan the guard lets through replaces them") {
    f.options.config.export_guard_share = 1.0;
    f.dispatcher->dispatch(f.plan("jelly", true), {});
    CHECK(f.broker->queued() == 1);
    for (const auto& [key, value] : f.store->outbox()) CHECK_FALSE(json::parse(value).value("refused", false));
  }
}

TEST_CASE("a push to a server that takes no unmarks (DISABLE_MARK_UNPLAYED) sends none", "[export][dispatcher]") {
  Fixture f;
  REQUIRE(apply_items(*f.store, {film("plex", 1, true, 2000), film("jelly", 1, true, 2000)}, import_at(5000)).ok());
  REQUIRE(apply_items(*f.store, {film("plex", 1, false)}, import_at(7000, 5000)).ok());  // unmarked on plex
  std::vector<uint64_t> ids;
  f.store->for_each([&](const Record& r) { return ids.push_back(r.id), true; });
  ServerConfig jelly = named("jelly");
  jelly.mark_unplayed = false;
  CHECK_FALSE(f.dispatcher->plan_options(jelly, false).unplay);
  f.dispatcher->push(jelly, ids, {});
  CHECK(f.broker->queued() == 0);
  CHECK(f.store->outbox().empty());
  f.dispatcher->push(named("jelly"), ids, {});  // the same push to a server that takes unmarks
  CHECK(f.broker->queued() == 1);
}

namespace {

// The jobs the dispatcher queued so far, taken from the broker (as a worker would take them).
std::vector<Job> take_jobs(JobBroker& broker) {
  std::vector<Job> jobs;
  broker.cancel_queued([&](const Job& job) { return jobs.push_back(job), true; });
  return jobs;
}

// The broker's `done` event for `job`: every action written and read back played.
BrokerEvent all_written(const Job& job) {
  BrokerEvent e{BrokerEvent::Kind::done, job, {}};
  json done = json::array();
  for (const auto& a : job.body.at("actions")) {
    json entry = read_back(true, 2000);
    entry["written"] = true;
    entry["key"] = a.at("key");
    done.push_back(entry);
  }
  e.body = {{"done", done}};
  return e;
}

// `n` films played on plex and unplayed on jelly: n plays to write to jelly.
void plays_to_write(Store& store, int n) {
  std::vector<MediaItem> items;
  for (int i = 0; i < n; ++i) {
    items.push_back(film("plex", i, true, 2000));
    items.push_back(film("jelly", i, false));
  }
  REQUIRE(apply_items(store, items, import_at(5000)).ok());
}

}  // namespace

TEST_CASE("a plan larger than the window goes out a window at a time, planned again, each action once",
          "[export][dispatcher][window]") {
  Fixture f;
  f.options.actions_per_job = 4;  // a window of 20 jobs is 80 actions
  const size_t window = ExportDispatcher::kWindowJobs * 4;
  plays_to_write(*f.store, 300);
  auto options = f.dispatcher->plan_options(named("jelly"), true);
  options.keep_actions = 10;
  auto plan = plan_export(*f.store, "jelly", options);
  REQUIRE(plan.planned == 300);
  REQUIRE(plan.actions.size() == 10);
  REQUIRE(plan.sources.size() == 300);
  f.dispatcher->dispatch(std::move(plan), {});
  CHECK(f.summary.servers["jelly"].planned == 300);

  std::map<std::string, int> sent;  // outbox key -> times it went out
  while (f.broker->queued() > 0) {
    CHECK(f.broker->queued() <= static_cast<size_t>(ExportDispatcher::kWindowJobs));
    CHECK(f.store->outbox().size() <= window + 1);  // and the plan's rest, one entry
    CHECK(f.finished.empty());
    for (const auto& job : take_jobs(*f.broker)) {
      for (const auto& a : job.body.at("actions")) ++sent[a.at("key").get<std::string>()];
      f.dispatcher->on_event(all_written(job));
    }
  }
  CHECK(sent.size() == 300);
  CHECK(std::all_of(sent.begin(), sent.end(), [](const auto& s) { return s.second == 1; }));
  CHECK(f.summary.servers["jelly"].planned == 300);
  CHECK(f.summary.servers["jelly"].written == 300);
  CHECK(f.store->outbox().empty());
  CHECK_FALSE(f.dispatcher->busy());
  CHECK(f.finished == std::vector<std::pair<std::string, bool>>{{"jelly", true}});
  CHECK(f.plan("jelly", true).planned == 0);
}

TEST_CASE("an export stopped mid-plan is resumed whole by a restart: the window in the outbox, then the plan's rest",
          "[export][dispatcher][window]") {
  std::map<std::string, int> sent;  // outbox key -> times it went out, over both runs
  // Answers `jobs` of the queued jobs (taken as they come); those taken but not answered are
  // lost with the process.
  auto answer_some = [&](Fixture& f, size_t jobs) {
    while (jobs > 0 && f.broker->queued() > 0) {
      for (const auto& job : take_jobs(*f.broker)) {
        if (jobs == 0) break;
        --jobs;
        for (const auto& a : job.body.at("actions")) ++sent[a.at("key").get<std::string>()];
        f.dispatcher->on_event(all_written(job));
      }
    }
  };
  Fixture f;
  f.options.actions_per_job = 4;
  plays_to_write(*f.store, 300);
  auto options = f.dispatcher->plan_options(named("jelly"), true);
  options.keep_actions = 10;
  f.dispatcher->dispatch(plan_export(*f.store, "jelly", options), {});
  answer_some(f, 30);  // 120 written; then the process stops with a window out
  REQUIRE(sent.size() == 120);
  CHECK(f.finished.empty());  // lastSync does not move
  const auto outbox = f.store->outbox();
  std::vector<PlannedExport> left;
  std::vector<ExportDispatcher::LeftPlan> left_plans;
  for (const auto& [key, value] : outbox) {
    if (auto plan = ExportDispatcher::read_left_plan(value)) {
      CHECK(key == "jelly/plan");
      left_plans.push_back(std::move(*plan));
    } else {
      left.push_back(json::parse(value).get<PlannedExport>());
    }
  }
  REQUIRE(left_plans.size() == 1);
  CHECK(left_plans[0].server == "jelly");
  CHECK(left.size() + left_plans[0].sources.size() == 300 - 120);

  // The restart: a new dispatcher (and broker) resumes what the outbox holds, as RequestRun does.
  f.dispatcher.reset();
  f.broker.reset();
  f.router.close();
  f.router = zmq::socket_t{f.context, zmq::socket_type::router};
  f.router.set(zmq::sockopt::linger, 0);
  f.router.bind(next_endpoint());
  f.broker = std::make_unique<JobBroker>(f.router, JobBroker::Options{});
  f.summary = RunSummary{};
  f.dispatcher = std::make_unique<ExportDispatcher>(
      *f.store, *f.broker, f.options, "test2/", f.summary,
      ExportDispatcher::Callbacks{[&](const std::string& s, bool ok) { f.finished.emplace_back(s, ok); }, nullptr});
  f.dispatcher->resume(left, false);
  for (auto& plan : left_plans) f.dispatcher->resume_plan(std::move(plan));
  CHECK(f.broker->queued() <= static_cast<size_t>(ExportDispatcher::kWindowJobs));
  answer_some(f, SIZE_MAX);
  CHECK(f.store->outbox().empty());
  CHECK(f.finished == std::vector<std::pair<std::string, bool>>{{"jelly", true}});
  CHECK(f.summary.servers["jelly"].planned == 300 - 120);
  CHECK(f.summary.servers["jelly"].written == 300 - 120);
  CHECK(sent.size() == 300);
  CHECK(std::all_of(sent.begin(), sent.end(), [](const auto& s) { return s.second == 1; }));
  CHECK(f.plan("jelly", true).planned == 0);
}
