// The forwarder against a real ZeroMQ ROUTER standing in for the reconciler's events endpoint:
// what it sends, when an event leaves the spool, refusals, the failed list, and resending when
// the reconciler is away, silent or restarted.
#include <catch2/catch.hpp>

#include <thread>

#include "ingest_testutil.h"
#include "ws/event_forwarder.h"

using namespace ws;
using namespace std::chrono_literals;
using ws::testing::ReconcilerDouble;
using ws::testing::TempDir;
using ws::testing::wait_until;

namespace {

SpoolRecord record(int n) {
  SpoolRecord r;
  r.server = "my_jf";
  r.received_at = 1'760'000'000 + n;
  r.accepted_ms = 1'760'000'000'000 + n;
  r.event = {{"event_id", "e" + std::to_string(n)}, {"kind", "progress"}, {"item", {{"server", "my_jf"}}}};
  return r;
}

// A forwarder running on its own thread for the test's lifetime.
struct Running {
  Running(zmq::context_t& context, Spool& spool, ForwarderOptions options)
      : forwarder(context, spool, metrics, std::move(options)), thread([this] { forwarder.run(); }) {
    spool.set_commit_listener([this] { forwarder.wake(); });
  }
  ~Running() {
    forwarder.stop();
    thread.join();
  }
  IngestMetrics metrics;
  EventForwarder forwarder;
  std::thread thread;
};

ForwarderOptions fast(const std::string& endpoint) {
  ForwarderOptions o;
  o.endpoint = endpoint;
  o.heartbeat = 50ms;
  o.retry_base = 5ms;
  o.retry_max = 20ms;
  o.max_attempts = 3;
  return o;
}

// A loopback endpoint nobody listens on right now.
std::string unused_endpoint(zmq::context_t& context) {
  ReconcilerDouble probe(context);
  return probe.endpoint();
}

}  // namespace

TEST_CASE("spooled events are sent as event.webhook and leave the spool once acked", "[ingest][forwarder]") {
  zmq::context_t context;
  TempDir dir;
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back((*spool)->append(record(i)).value());
  ReconcilerDouble reconciler(context);
  Running running(context, **spool, fast(reconciler.endpoint()));

  REQUIRE(wait_until([&] { return (*spool)->depth() == 0; }));
  CHECK(running.metrics.events_acked == 5);
  const auto events = reconciler.events();
  REQUIRE(events.size() == 5);
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& body = events[i];
    CHECK(body["spool_id"] == ids[i]);
    CHECK(body["server"] == "my_jf");
    CHECK(body["received_at"] == 1'760'000'000 + int64_t(i));
    CHECK(body["attempt"] == 1);
    CHECK(body["event"]["event_id"] == "e" + std::to_string(i));
    CHECK(body["v"] == 1);
    CHECK(body["id"].is_string());
  }
  CHECK(wait_until([&] { return running.forwarder.status().connected; }));
  CHECK(running.forwarder.status().last_ack_at > 0);

  SECTION("events appended later are sent at once") {
    (*spool)->append(record(9));
    REQUIRE(wait_until([&] { return running.metrics.events_acked == 6 && (*spool)->depth() == 0; }));
    CHECK(reconciler.events().back()["event"]["event_id"] == "e9");
  }
}

TEST_CASE("an event refused max_attempts times moves to the failed list, never deleted", "[ingest][forwarder]") {
  zmq::context_t context;
  TempDir dir;
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  ReconcilerDouble reconciler(context, "tcp://127.0.0.1:*", ReconcilerDouble::Mode::refuse_retry);
  const uint64_t id = (*spool)->append(record(1)).value();
  Running running(context, **spool, fast(reconciler.endpoint()));

  REQUIRE(wait_until([&] { return (*spool)->failed_count() == 1; }));
  CHECK((*spool)->depth() == 0);
  const auto events = reconciler.events();
  REQUIRE(events.size() == 3);  // max_attempts
  CHECK(events[0]["attempt"] == 1);
  CHECK(events[2]["attempt"] == 3);
  CHECK(running.metrics.events_refused == 3);
  CHECK(running.metrics.events_failed == 1);
  auto failed = (*spool)->failed(10);
  REQUIRE(failed);
  REQUIRE(failed->size() == 1);
  CHECK(failed->front().id == id);
  CHECK(failed->front().record.attempts == 3);
  CHECK(failed->front().record.last_error == "the one-item fetch failed");
}

TEST_CASE("an event too large for endpoints.max_message fails instead of blocking the others", "[ingest][forwarder]") {
  zmq::context_t context;
  TempDir dir;
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  ReconcilerDouble reconciler(context);
  SpoolRecord big = record(1);
  big.event["item"]["title"] = std::string(20000, 'x');
  (*spool)->append(big);
  (*spool)->append(record(2));
  auto options = fast(reconciler.endpoint());
  options.max_message = 16 << 10;
  Running running(context, **spool, options);
  REQUIRE(wait_until([&] { return (*spool)->depth() == 0 && (*spool)->failed_count() == 1; }));
  REQUIRE(reconciler.event_count() == 1);
  CHECK(reconciler.events()[0]["event"]["event_id"] == "e2");
  CHECK_THAT((*spool)->failed(1)->front().record.last_error, Catch::Contains("endpoints.max_message"));
}

TEST_CASE("an event refused with retry: false fails at once", "[ingest][forwarder]") {
  zmq::context_t context;
  TempDir dir;
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  ReconcilerDouble reconciler(context, "tcp://127.0.0.1:*", ReconcilerDouble::Mode::refuse_final);
  (*spool)->append(record(1));
  Running running(context, **spool, fast(reconciler.endpoint()));
  REQUIRE(wait_until([&] { return (*spool)->failed_count() == 1; }));
  CHECK(reconciler.event_count() == 1);
  CHECK((*spool)->failed(1)->front().record.last_error == "no such server");
}

TEST_CASE("a refusal count survives a restart of ingest", "[ingest][forwarder]") {
  zmq::context_t context;
  TempDir dir;
  ReconcilerDouble reconciler(context, "tcp://127.0.0.1:*", ReconcilerDouble::Mode::refuse_retry);
  {
    auto spool = Spool::open(dir.path);
    REQUIRE(spool);
    (*spool)->append(record(1));
    auto options = fast(reconciler.endpoint());
    options.retry_base = 10s;  // the first refusal, then a long wait: the "crash" comes in it
    options.retry_max = 10s;
    Running running(context, **spool, options);
    REQUIRE(wait_until([&] { return running.metrics.events_refused == 1; }));
  }
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  auto entry = (*spool)->pending(0, 1);
  REQUIRE(entry->size() == 1);
  CHECK(entry->front().record.attempts == 1);
  Running running(context, **spool, fast(reconciler.endpoint()));
  REQUIRE(wait_until([&] { return (*spool)->failed_count() == 1; }));
  CHECK(reconciler.event_count() == 3);  // 1 before the restart + 2 after: max_attempts in all
}

TEST_CASE("events wait in the spool while the reconciler is away, and all go when it comes", "[ingest][forwarder]") {
  zmq::context_t context;
  TempDir dir;
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  const std::string endpoint = unused_endpoint(context);
  Running running(context, **spool, fast(endpoint));
  for (int i = 0; i < 20; ++i) REQUIRE((*spool)->append(record(i)));
  // Nobody there: nothing can be sent, nothing is lost, nothing counts as a refusal.
  CHECK_FALSE(running.forwarder.status().connected);
  CHECK((*spool)->depth() == 20);
  CHECK(running.metrics.events_refused == 0);

  ReconcilerDouble reconciler(context, endpoint);
  REQUIRE(wait_until([&] { return (*spool)->depth() == 0; }));
  CHECK(running.metrics.events_acked == 20);
  CHECK((*spool)->failed_count() == 0);
}

TEST_CASE("events in flight to a reconciler that went silent or restarted are sent again", "[ingest][forwarder]") {
  zmq::context_t context;
  TempDir dir;
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  std::string endpoint;
  auto options = fast("");
  std::unique_ptr<Running> running;
  {
    ReconcilerDouble first(context, "tcp://127.0.0.1:*", ReconcilerDouble::Mode::hold);
    endpoint = first.endpoint();
    options.endpoint = endpoint;
    running = std::make_unique<Running>(context, **spool, options);
    for (int i = 0; i < 4; ++i) (*spool)->append(record(i));
    // All four reached it. Whether they are still in flight depends on the clock: a reconciler
    // that holds events past the liveness window (150 ms here) counts as silent and gets them
    // again, so count the distinct events it saw, not the forwarder's in-flight set.
    auto distinct = [&] {
      std::set<std::string> ids;
      for (const auto& e : first.events()) ids.insert(e["event"]["event_id"].get<std::string>());
      return ids.size();
    };
    REQUIRE(wait_until([&] { return distinct() == 4; }));
    CHECK(running->metrics.events_acked == 0);
  }  // the reconciler dies holding four unacked events
  ReconcilerDouble second(context, endpoint);
  REQUIRE(wait_until([&] { return (*spool)->depth() == 0; }));
  CHECK(running->metrics.events_resent >= 4);
  CHECK(running->metrics.events_acked == 4);
  std::set<std::string> seen;
  for (const auto& e : second.events()) seen.insert(e["event"]["event_id"].get<std::string>());
  CHECK(seen == std::set<std::string>{"e0", "e1", "e2", "e3"});

  SECTION("a reconciler too busy to answer gets the events again, and acks them when it is back") {
    const uint64_t resent = running->metrics.events_resent;
    second.set_mode(ReconcilerDouble::Mode::busy);
    (*spool)->append(record(7));
    REQUIRE(wait_until([&] { return !running->forwarder.status().connected; }));
    REQUIRE(wait_until([&] { return running->metrics.events_resent > resent; }));
    second.set_mode(ReconcilerDouble::Mode::ack);
    REQUIRE(wait_until([&] { return (*spool)->depth() == 0; }));
    CHECK(running->forwarder.status().connected);
    size_t copies = 0;
    for (const auto& e : second.events()) copies += e["event"]["event_id"] == "e7";
    CHECK(copies >= 1);
  }
  running.reset();
}

TEST_CASE("a reconciler that never answers heartbeats still gets each event once", "[ingest][forwarder]") {
  zmq::context_t context;
  TempDir dir;
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  ReconcilerDouble reconciler(context);
  reconciler.answer_heartbeats(false);
  Running running(context, **spool, fast(reconciler.endpoint()));
  // Idle past the liveness interval: the heartbeats go unanswered.
  REQUIRE(wait_until([&] { return reconciler.heartbeats() >= 5; }));
  for (int round = 0; round < 3; ++round) {
    (*spool)->append(record(round));
    REQUIRE(wait_until([&] { return (*spool)->depth() == 0; }));
    const size_t beats = reconciler.heartbeats();
    REQUIRE(wait_until([&] { return reconciler.heartbeats() >= beats + 4; }));  // idle again
  }
  CHECK(reconciler.event_count() == 3);
  CHECK(running.metrics.events_resent == 0);
}

TEST_CASE("no more than the window is in flight at once; an unacked event goes again after ack_timeout",
          "[ingest][forwarder]") {
  zmq::context_t context;
  TempDir dir;
  auto spool = Spool::open(dir.path);
  REQUIRE(spool);
  ReconcilerDouble reconciler(context, "tcp://127.0.0.1:*", ReconcilerDouble::Mode::hold);
  for (int i = 0; i < 10; ++i) (*spool)->append(record(i));
  auto options = fast(reconciler.endpoint());
  options.window = 3;
  options.ack_timeout = 2s;
  Running running(context, **spool, options);
  REQUIRE(wait_until([&] { return reconciler.event_count() == 3; }));
  // Heartbeats keep flowing while the window is full: two more of them, and still three events.
  const size_t beats = reconciler.heartbeats();
  REQUIRE(wait_until([&] { return reconciler.heartbeats() >= beats + 2; }));
  CHECK(reconciler.event_count() == 3);
  CHECK(running.forwarder.status().in_flight == 3);
  // The held three are never acked; after ack_timeout they go again, and now get acked.
  reconciler.set_mode(ReconcilerDouble::Mode::ack);
  REQUIRE(wait_until([&] { return (*spool)->depth() == 0; }));
  CHECK(running.metrics.events_acked == 10);
  CHECK(running.metrics.events_resent >= 3);
}
