// The reconciler as a whole, in this process: its three ROUTERs on inproc endpoints, a real store
// in a temp folder, the unix clock pinned by the test, and DEALERs in the test thread playing the
// CLI and the workers. Real ZeroMQ and real time for the broker (tests stay far below its
// liveness); the schedule runs on the pinned clock.
#include "ws/reconciler.h"

#include <atomic>
#include <fstream>
#include <optional>
#include <thread>

#include <catch2/catch.hpp>

#include "reconciler_testutil.h"
#include "store_testutil.h"
#include "ws/batch_applier.h"
#include "ws/export_dispatcher.h"
#include "ws/export_plan.h"
#include "ws/protocol.h"
#include "ws/zmq_channel.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ws::Message;
using ws::testutil::Peer;
using ws::testutil::RunningReconciler;

const char* kOnePlex = "plex:\n  type: plex\n  url: 'http://127.0.0.1:9'\n  token: 't'\n";

// `movies` movies played on plex and not on jelly, both servers exported before (push mode, no
// import first): an export marks them played on jelly.
// An exporter connected to the started reconciler, ready for jobs.
Peer export_worker(RunningReconciler& r) {
  Peer exporter = r.worker();
  exporter.send("worker.ready", {{"worker", "test-exporter"}, {"serves", "export"}});
  return exporter;
}

void seed_played_on_plex_only(RunningReconciler& r, int movies) {
  auto store = ws::testutil::open_writer(r.options.paths.db_dir());
  std::vector<ws::MediaItem> plex, jelly;
  for (int i = 1; i <= movies; ++i) {
    auto p = ws::testutil::item_from("plex", "p" + std::to_string(i), ws::MediaType::movie);
    p.guids["imdb"] = "tt000000" + std::to_string(i);
    p.title = "Film " + std::to_string(i);
    p.watched = true;
    p.played_at = 2000;
    plex.push_back(p);
    auto j = ws::testutil::item_from("jelly", "j" + std::to_string(i), ws::MediaType::movie);
    j.guids = p.guids;
    j.title = p.title;
    jelly.push_back(j);
  }
  ws::ApplyOptions o;
  o.now = 5000;
  REQUIRE(ws::apply_items(*store, plex, o).ok());
  REQUIRE(ws::apply_items(*store, jelly, o).ok());
  auto batch = store->begin_write();
  batch.set_last_sync("plex", ws::SyncDirection::export_, 1);
  batch.set_last_sync("jelly", ws::SyncDirection::export_, 1);
  REQUIRE(batch.commit().ok());
}

// A job.export's actions as "key action" lines, in the job's order.
std::vector<std::string> action_lines(const json& job) {
  std::vector<std::string> lines;
  for (const auto& a : job.at("actions"))
    lines.push_back(a.at("key").get<std::string>() + " " + a.at("action").get<std::string>());
  return lines;
}

}  // namespace

TEST_CASE("a scheduled import is skipped while one is queued or running, so runs never pile up",
          "[reconciler][schedule]") {
  RunningReconciler r(kOnePlex);
  r.options.config.import_every = 60s;
  r.options.config.job_queue_timeout_s = 3600;  // no fetcher: the import stays running
  r.start();
  Peer cli = r.control();
  const json idle = r.status(cli);
  CHECK(idle.at("running") == "");
  CHECK(idle.at("next_import") == r.clock.load() + 60);

  // Waits until the schedule has handled the pinned clock's time (its next due time lies beyond
  // it), then returns the status.
  auto after_schedule = [&] {
    json status;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    do {
      status = r.status(cli);
      if (status.at("next_import").get<int64_t>() > r.clock.load() && status.at("running") == "import") break;
    } while (std::chrono::steady_clock::now() < deadline);
    return status;
  };
  for (int due = 1; due <= 5; ++due) {
    r.clock += 60;
    const json status = after_schedule();
    INFO("after schedule tick " << due << ": " << status.dump());
    CHECK(status.at("next_import") == r.clock.load() + 60);
    CHECK(status.at("running") == "import");
    CHECK(status.at("queued_requests") == 0);
    CHECK(status.at("jobs_queued") == 1);  // the plan job of the one import, waiting for a fetcher
  }

  SECTION("a requested import still queues behind the running one; the schedule then skips too") {
    cli.send("ctl.request", {{"id", "user-import"}, {"command", "import"}});
    CHECK(r.status(cli).at("queued_requests") == 1);
    r.clock += 60;
    const json status = after_schedule();
    CHECK(status.at("next_import") == r.clock.load() + 60);
    CHECK(status.at("queued_requests") == 1);
  }
}

TEST_CASE("the control queue is bounded and a waiting requester is told what it waits for", "[reconciler][control]") {
  RunningReconciler r(kOnePlex);
  r.options.config.job_queue_timeout_s = 3600;
  r.start();
  Peer cli = r.control();
  cli.send("ctl.request", {{"id", "first"}, {"command", "import"}});
  auto waiting = cli.next([](const Message& m) { return m.type == "ctl.progress" && m.body.contains("waiting"); });
  REQUIRE(waiting);
  CHECK(waiting->body.at("ref") == "first");
  CHECK_THAT(waiting->body.at("waiting").get<std::string>(), Catch::StartsWith("waiting for a ws-fetcher for plex"));

  for (int i = 0; i < 16; ++i) cli.send("ctl.request", {{"id", "q" + std::to_string(i)}, {"command", "export"}});
  auto queued = cli.next([](const Message& m) { return m.type == "ctl.progress" && m.body.value("ref", "") == "q0"; });
  REQUIRE(queued);
  CHECK(queued->body.at("waiting") == "waiting: export queued behind import");
  auto second = cli.next([](const Message& m) { return m.type == "ctl.progress" && m.body.value("ref", "") == "q1"; });
  REQUIRE(second);
  CHECK(second->body.at("waiting") == "waiting: export queued behind import and 1 queued before it");

  cli.send("ctl.request", {{"id", "one-too-many"}, {"command", "export"}});
  auto refused = cli.next([](const Message& m) { return m.type == "ctl.reply"; });
  REQUIRE(refused);
  CHECK(refused->body.at("ref") == "one-too-many");
  CHECK(refused->body.at("ok") == false);
  CHECK_THAT(refused->body.at("error").get<std::string>(), Catch::Contains("16 requests queued already"));
}

TEST_CASE("a malformed control request is refused with an ack naming the field", "[reconciler][control]") {
  RunningReconciler r(kOnePlex);
  r.start();
  Peer cli = r.control();
  auto refusal = [&](json body) {
    body["id"] = "bad";
    cli.send("ctl.request", body);
    auto ack = cli.next_of("ack");
    REQUIRE(ack);
    CHECK(ack->body.at("ref") == "bad");
    CHECK(ack->body.at("ok") == false);
    return ack->body.at("error").get<std::string>();
  };
  CHECK(refusal({{"command", "import"}, {"servers", 5}}) == "ctl.request: 'servers' must be a list, not an integer");
  CHECK(refusal({{"command", "import"}, {"full", "yes"}}) == "ctl.request: 'full' must be true or false, not a string");
  CHECK(refusal({{"servers", {"plex"}}}) == "ctl.request: 'command' is missing");
  CHECK_THAT(refusal({{"command", "delete"}}), Catch::Contains("'command' is 'delete'"));
  // An ack is never answered: the next thing back is the status reply.
  cli.send("ack", {{"ref", 12}, {"ok", "maybe"}});
  CHECK(r.status(cli).at("running") == "");
}

TEST_CASE("export actions a job.done leaves out go out again in the same run, a bounded number of times",
          "[reconciler][export]") {
  RunningReconciler r("plex:\n  type: plex\n  url: 'http://127.0.0.1:9'\n  token: 't'\n"
                      "jelly:\n  type: jellyfin\n  url: 'http://127.0.0.1:9'\n  token: 't'\n  user: 'u'\n");
  r.options.config.job_max_attempts = 3;
  seed_played_on_plex_only(r, 3);
  r.clock = 6000;
  r.start();
  Peer exporter = r.worker();
  exporter.send("worker.ready", {{"worker", "test-exporter"}, {"serves", "export"}});
  Peer cli = r.control();
  cli.send("ctl.request", {{"id", "export-1"}, {"command", "export"}});

  auto next_job = [&] {
    auto job = exporter.next_of("job.export");
    REQUIRE(job);
    exporter.send("heartbeat", {{"worker", "test-exporter"}});
    return *job;
  };
  auto keys_of = [](const Message& job) {
    std::vector<std::string> keys;
    for (const auto& a : job.body.at("actions")) keys.push_back(a.at("key").get<std::string>());
    return keys;
  };
  auto answer = [&](const Message& job, std::vector<std::string> done) {
    json list = json::array();
    for (const auto& k : done) list.push_back({{"key", k}, {"written", true}});
    exporter.send("job.done", {{"job", job.body.at("job")}, {"attempt", job.body.at("attempt")},
                               {"result", {{"done", list}, {"failed", json::array()}}}});
  };

  Message first = next_job();
  auto keys = keys_of(first);
  REQUIRE(keys.size() == 3);
  answer(first, {keys[0]});  // two left out
  Message second = next_job();
  CHECK(keys_of(second) == std::vector<std::string>{keys[1], keys[2]});
  answer(second, {keys[1]});  // the last one left out again
  Message third = next_job();
  CHECK(keys_of(third) == std::vector<std::string>{keys[2]});
  answer(third, {});  // and a third time: recorded as failed

  auto reply = cli.next([](const Message& m) { return m.type == "ctl.reply"; }, 10s);
  REQUIRE(reply);
  INFO(reply->body.dump());
  CHECK(reply->body.at("ok") == false);
  const json& jelly = reply->body.at("summary").at("servers").at("jelly");
  CHECK(jelly.at("done") == 2);
  CHECK(jelly.at("failed") == 1);
  CHECK_THAT(jelly.at("errors").dump(), Catch::Contains("neither done nor failed 3 times"));
  CHECK(exporter.next_of("job.export", 300ms) == std::nullopt);
  CHECK(r.status(cli).at("outbox") == 0);
}

TEST_CASE("a server with options.DRY_RUN is never written: an export leaves it out, and naming it says why",
          "[reconciler][export]") {
  RunningReconciler r("plex:\n  type: plex\n  url: 'http://127.0.0.1:9'\n  token: 't'\n"
                      "jelly:\n  type: jellyfin\n  url: 'http://127.0.0.1:9'\n  token: 't'\n  user: 'u'\n"
                      "  options:\n    DRY_RUN: true\n");
  seed_played_on_plex_only(r, 1);  // without DRY_RUN, the export would mark it played on jelly
  r.clock = 6000;
  r.start();
  Peer exporter = r.worker();
  exporter.send("worker.ready", {{"worker", "test-exporter"}, {"serves", "export"}});
  Peer cli = r.control();

  cli.send("ctl.request", {{"id", "export-all"}, {"command", "export"}});
  auto reply = cli.next([](const Message& m) { return m.type == "ctl.reply"; }, 10s);
  REQUIRE(reply);
  INFO(reply->body.dump());
  CHECK(reply->body.at("ok") == true);
  CHECK_FALSE(reply->body.at("summary").at("servers").contains("jelly"));
  // Jobs go out before the run's reply: none is waiting.
  CHECK(exporter.next_of("job.export", 300ms) == std::nullopt);

  cli.send("ctl.request", {{"id", "export-jelly"}, {"command", "export"}, {"servers", {"jelly"}}});
  auto named = cli.next([](const Message& m) { return m.type == "ctl.reply"; }, 10s);
  REQUIRE(named);
  INFO(named->body.dump());
  CHECK_THAT(named->body.at("summary").at("servers").at("jelly").at("errors").dump(),
             Catch::Contains("options.DRY_RUN is on"));
  CHECK(exporter.next_of("job.export", 300ms) == std::nullopt);
}

TEST_CASE("outbox entries that servers.yaml now forbids are dropped at a restart, not sent", "[reconciler][export]") {
  // Planned before servers.yaml changed: jelly has since been set to DRY_RUN, emby to
  // DISABLE_MARK_UNPLAYED, and "gone" was removed. Only emby's play may still go out.
  RunningReconciler r("jelly:\n  type: jellyfin\n  url: 'http://127.0.0.1:9'\n  token: 't'\n  user: 'u'\n"
                      "  options:\n    DRY_RUN: true\n"
                      "emby:\n  type: emby\n  url: 'http://127.0.0.1:9'\n  token: 't'\n  user: 'u'\n"
                      "  options:\n    DISABLE_MARK_UNPLAYED: true\n");
  {
    auto store = ws::testutil::open_writer(r.options.paths.db_dir());
    auto batch = store->begin_write();
    auto put = [&](const std::string& server, ws::PlannedExportKind kind, uint64_t record) {
      ws::PlannedExport a;
      a.server = server;
      a.record_id = record;
      a.kind = kind;
      a.item = ws::testutil::item_from(server, "i" + std::to_string(record), ws::MediaType::movie);
      a.played_at = 2000;
      a.unmarked_at = kind == ws::PlannedExportKind::unplay ? 3000 : 0;
      a.planned_at = 4000;
      batch.outbox_put(a.key(), json(a).dump());
    };
    put("jelly", ws::PlannedExportKind::play, 1);
    put("emby", ws::PlannedExportKind::unplay, 2);
    put("emby", ws::PlannedExportKind::play, 3);
    put("gone", ws::PlannedExportKind::play, 4);
    REQUIRE(batch.commit().ok());
  }
  r.clock = 6000;
  r.start();
  Peer exporter = export_worker(r);
  auto job = exporter.next_of("job.export", 10s);
  REQUIRE(job);
  INFO(job->body.dump());
  CHECK(action_lines(job->body) == std::vector<std::string>{"emby/3/state play"});
  CHECK(exporter.next_of("job.export", 300ms) == std::nullopt);
  Peer cli = r.control();
  CHECK(r.status(cli).at("outbox") == 1);  // emby's play, until its job.done
}

TEST_CASE("the rest of a plan left in the outbox is planned again and sent at a restart", "[reconciler][export]") {
  RunningReconciler r("plex:\n  type: plex\n  url: 'http://127.0.0.1:9'\n  token: 't'\n"
                      "jelly:\n  type: jellyfin\n  url: 'http://127.0.0.1:9'\n  token: 't'\n  user: 'u'\n");
  seed_played_on_plex_only(r, 3);
  {
    // A run stopped with the plays of records 2 and 3 not yet planned again (jelly/plan), and
    // one for a server since removed from servers.yaml.
    auto store = ws::testutil::open_writer(r.options.paths.db_dir());
    auto batch = store->begin_write();
    json options = {{"now", 5500}, {"progress_min_delta_ms", 5000}, {"rewatch_threshold_ms", 180000},
                    {"max_ignored", 3}, {"retry_given_up", true}, {"unplay", true}};
    batch.outbox_put("jelly/plan", json{{"server", "jelly"}, {"plan_left", {2, 3}}, {"options", options}}.dump());
    batch.outbox_put("gone/plan", json{{"server", "gone"}, {"plan_left", {1}}, {"options", options}}.dump());
    REQUIRE(batch.commit().ok());
  }
  r.clock = 6000;
  r.start();
  Peer exporter = export_worker(r);
  auto job = exporter.next_of("job.export", 10s);
  REQUIRE(job);
  INFO(job->body.dump());
  json done = json::array();
  for (const auto& a : job->body.at("actions")) done.push_back({{"key", a.at("key")}, {"written", true}});
  CHECK(action_lines(job->body) == std::vector<std::string>{"jelly/2/state play", "jelly/3/state play"});
  CHECK(exporter.next_of("job.export", 300ms) == std::nullopt);
  Peer cli = r.control();
  CHECK(r.status(cli).at("outbox") == 2);  // the two plays, until their job.done
  exporter.send("job.done", {{"job", job->body.at("job")}, {"attempt", job->body.at("attempt")},
                             {"result", {{"done", done}, {"failed", json::array()}}}});
  // The answer is applied on the reconciler's thread: wait for it, with a deadline.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (r.status(cli).at("outbox") != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  CHECK(r.status(cli).at("outbox") == 0);
}

TEST_CASE("an export of more actions than a run keeps goes out in windows and writes each one once",
          "[reconciler][export][window]") {
  RunningReconciler r("plex:\n  type: plex\n  url: 'http://127.0.0.1:9'\n  token: 't'\n"
                      "jelly:\n  type: jellyfin\n  url: 'http://127.0.0.1:9'\n  token: 't'\n  user: 'u'\n");
  const int movies = static_cast<int>(ws::ExportDispatcher::kKeptActions) + 100;  // 23 jobs of 50
  seed_played_on_plex_only(r, movies);
  r.clock = 6000;
  r.start();
  Peer exporter = export_worker(r);
  Peer cli = r.control();
  cli.send("ctl.request", {{"id", "export-1"}, {"command", "export"}});

  std::map<std::string, int> sent;  // outbox key -> times it went out
  size_t most_out = 0;
  while (sent.size() < size_t(movies)) {
    auto job = exporter.next_of("job.export", 10s);
    REQUIRE(job);
    most_out = std::max<size_t>(most_out, r.status(cli).at("outbox").get<size_t>());
    json done = json::array();
    for (const auto& a : job->body.at("actions")) {
      ++sent[a.at("key").get<std::string>()];
      done.push_back({{"key", a.at("key")},
                      {"written", true},
                      {"state", {{"watched", true}, {"played_at", 2000}, {"progress_ms", 0}}}});
    }
    exporter.send("job.done", {{"job", job->body.at("job")}, {"attempt", job->body.at("attempt")},
                               {"result", {{"done", done}, {"failed", json::array()}}}});
  }
  auto reply = cli.next([](const Message& m) { return m.type == "ctl.reply"; }, 10s);
  REQUIRE(reply);
  CHECK(exporter.next_of("job.export", 300ms) == std::nullopt);
  INFO(reply->body.dump().substr(0, 2000));
  CHECK(reply->body.at("ok") == true);
  const json& jelly = reply->body.at("summary").at("servers").at("jelly");
  CHECK(jelly.at("planned") == movies);
  CHECK(jelly.at("written") == movies);
  CHECK(sent.size() == size_t(movies));
  CHECK(std::all_of(sent.begin(), sent.end(), [](const auto& s) { return s.second == 1; }));
  // A window of 20 jobs of 50, and the plan's rest (one entry): never the whole plan.
  CHECK(most_out <= size_t(ws::ExportDispatcher::kWindowJobs) * 50 + 1);
  CHECK(r.status(cli).at("outbox") == 0);
}
