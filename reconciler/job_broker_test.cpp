// The job broker over real ZeroMQ (inproc): a ROUTER for the broker, DEALERs acting as workers in
// the test thread, a fake clock for heartbeats and leases (time only moves when a test says so).
#include "ws/job_broker.h"

#include <algorithm>
#include <memory>
#include <optional>

#include <catch2/catch.hpp>

#include "ws/protocol.h"
#include "ws/zmq_channel.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ws::BrokerEvent;
using ws::Job;
using ws::JobBroker;
using ws::Message;

// Real-time wait for one message with a deadline (delivery over inproc is immediate; the deadline
// only bounds a failing test).
std::optional<ws::Envelope> wait_message(zmq::socket_t& socket, bool router, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (auto env = ws::receive_message(socket, router)) return env;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return std::nullopt;
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, left);
  }
}

std::string next_endpoint() {
  static int counter = 0;
  return "inproc://job-broker-test-" + std::to_string(++counter);
}

struct Harness {
  zmq::context_t context;
  zmq::socket_t router{context, zmq::socket_type::router};
  std::string endpoint = next_endpoint();
  JobBroker::Clock::time_point now{std::chrono::hours(1)};
  std::unique_ptr<JobBroker> broker;
  std::vector<BrokerEvent> events;

  explicit Harness(JobBroker::Options options = {}) {
    router.set(zmq::sockopt::router_mandatory, 1);
    router.set(zmq::sockopt::linger, 0);
    router.bind(endpoint);
    broker = std::make_unique<JobBroker>(router, options, [this] { return now; });
  }

  // Hands the next message on the router to the broker; events collect in `events`.
  void pump() {
    auto env = wait_message(router, true, 2s);
    REQUIRE(env);
    auto out = broker->handle(*env);
    events.insert(events.end(), out.begin(), out.end());
  }
  void tick() {
    auto out = broker->tick();
    events.insert(events.end(), out.begin(), out.end());
  }
  void advance(std::chrono::milliseconds by) { now += by; }

  void submit(const std::string& id, const std::string& server = "plex", const std::string& service = "fetch") {
    Job job;
    job.id = id;
    job.service = service;
    job.server = server;
    job.type = service == "fetch" ? "job.fetch" : "job.export";
    job.body = {{"server", server}, {"kind", "pages"}, {"start", 0}, {"count", 100}};
    broker->submit(std::move(job));
  }
};

struct FakeWorker {
  Harness& harness;
  std::string name;
  zmq::socket_t socket;

  FakeWorker(Harness& h, std::string worker_name) : harness(h), name(std::move(worker_name)) {
    socket = zmq::socket_t(h.context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::routing_id, name);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(h.endpoint);
  }

  void send(const std::string& type, json body) { REQUIRE(ws::send_message(socket, Message{type, std::move(body)})); }

  // Sends and lets the broker handle it.
  void say(const std::string& type, json body) {
    send(type, std::move(body));
    harness.pump();
  }
  void ready(const std::string& serves = "fetch", std::vector<std::string> servers = {}) {
    json body{{"worker", name}, {"serves", serves}};
    if (!servers.empty()) body["servers"] = servers;
    say("worker.ready", body);
  }
  void heartbeat() { say("heartbeat", {{"worker", name}}); }
  void done(const Message& job, json result = json::object()) {
    say("job.done", {{"job", job.body["job"]}, {"attempt", job.body["attempt"]}, {"result", result}});
  }
  void failed(const Message& job, const std::string& error, bool retryable) {
    say("job.failed",
        {{"job", job.body["job"]}, {"attempt", job.body["attempt"]}, {"error", error}, {"retryable", retryable}});
  }

  // The next message from the broker, heartbeats skipped unless asked for.
  std::optional<Message> receive(bool skip_heartbeats = true) {
    while (auto env = wait_message(socket, false, 2s)) {
      REQUIRE(env->message);
      if (skip_heartbeats && env->message->type == "heartbeat") continue;
      return env->message.value();
    }
    return std::nullopt;
  }
  Message job() {
    auto m = receive();
    REQUIRE(m);
    REQUIRE((m->type == "job.fetch" || m->type == "job.export"));
    return *m;
  }
  // True when nothing (not even a heartbeat) is waiting. Over inproc a sent message is already
  // queued when send returns, so a short look is a real check, not a race.
  bool silent() { return !wait_message(socket, false, 20ms); }
};

JobBroker::Options slow_heartbeats() {
  JobBroker::Options o;
  o.heartbeat_interval = 100s;  // liveness out of the way in tests about something else
  return o;
}

size_t count(const std::vector<BrokerEvent>& events, BrokerEvent::Kind kind) {
  return static_cast<size_t>(std::count_if(events.begin(), events.end(), [&](auto& e) { return e.kind == kind; }));
}

}  // namespace

TEST_CASE("a job reaches a ready worker and its batches and done come back as events", "[broker]") {
  Harness h(slow_heartbeats());
  FakeWorker w(h, "fetcher-1");
  w.ready();
  CHECK(h.broker->workers("fetch") == 1);
  CHECK(h.broker->workers("export") == 0);
  h.submit("j1");
  CHECK(h.broker->next_timeout() == 0ms);
  h.tick();

  Message job = w.job();
  CHECK(job.type == "job.fetch");
  CHECK(job.body["job"] == "j1");
  CHECK(job.body["attempt"] == 1);
  CHECK(job.body["server"] == "plex");
  CHECK(job.body["count"] == 100);
  CHECK(h.broker->in_flight() == 1);
  CHECK(h.broker->queued() == 0);

  w.say("batch.items", {{"job", "j1"}, {"attempt", 1}, {"seq", 0}, {"items", json::array({1, 2})}});
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0].kind == BrokerEvent::Kind::batch);
  CHECK(h.events[0].job.id == "j1");
  // the items come undecoded, as decode_message cut them out of the body
  CHECK(json::from_msgpack(h.events[0].items_msgpack).size() == 2);

  w.done(job, {{"items", 2}, {"batches", 1}});
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[1].kind == BrokerEvent::Kind::done);
  CHECK(h.events[1].job.id == "j1");
  CHECK(h.events[1].job.attempts == 1);
  CHECK(h.events[1].body["items"] == 2);
  CHECK(h.broker->in_flight() == 0);

  SECTION("a finished job's id can be submitted again") {
    h.submit("j1");
    CHECK(h.broker->queued() == 1);
  }
  SECTION("a job id already queued is refused as a caller bug") {
    h.submit("j2");
    CHECK_THROWS_AS(h.submit("j2"), std::invalid_argument);
  }
}

TEST_CASE("a worker gets one job at a time", "[broker]") {
  Harness h(slow_heartbeats());
  FakeWorker w(h, "fetcher-1");
  w.ready();
  h.submit("j1");
  h.submit("j2");
  h.tick();
  Message first = w.job();
  CHECK(first.body["job"] == "j1");
  h.tick();
  CHECK(w.silent());
  CHECK(h.broker->queued() == 1);
  CHECK(h.broker->in_flight() == 1);
  CHECK(h.broker->next_timeout() > 0ms);

  w.done(first);
  CHECK(h.broker->next_timeout() == 0ms);
  h.tick();
  CHECK(w.job().body["job"] == "j2");
}

TEST_CASE("two workers share one queue", "[broker]") {
  Harness h(slow_heartbeats());
  FakeWorker a(h, "fetcher-a");
  FakeWorker b(h, "fetcher-b");
  a.ready();
  b.ready();
  for (auto id : {"j1", "j2", "j3"}) h.submit(id);
  h.tick();
  Message ja = a.job();  // a has waited longest
  Message jb = b.job();
  CHECK(ja.body["job"] == "j1");
  CHECK(jb.body["job"] == "j2");
  CHECK(h.broker->queued() == 1);

  b.done(jb);
  h.tick();
  CHECK(b.job().body["job"] == "j3");
  CHECK(a.silent());
}

TEST_CASE("a worker restricted to servers only gets theirs", "[broker]") {
  Harness h(slow_heartbeats());
  FakeWorker restricted(h, "fetcher-plex");
  restricted.ready("fetch", {"plex"});
  h.submit("jelly-1", "jelly");
  h.submit("plex-1", "plex");
  h.tick();
  CHECK(restricted.job().body["job"] == "plex-1");  // the jelly job did not block it
  CHECK(h.broker->queued() == 1);

  FakeWorker any(h, "fetcher-any");
  any.ready();
  h.tick();
  CHECK(any.job().body["job"] == "jelly-1");

  SECTION("an exporter never gets fetch jobs") {
    FakeWorker exporter(h, "exporter-1");
    exporter.ready("export");
    h.submit("plex-2", "plex");
    h.tick();
    CHECK(exporter.silent());
    h.submit("export-1", "plex", "export");
    h.tick();
    Message job = exporter.job();
    CHECK(job.type == "job.export");
    CHECK(job.body["job"] == "export-1");
  }
}

TEST_CASE("a silent worker's job goes to another worker", "[broker]") {
  Harness h;  // heartbeat 1 s, liveness 3
  FakeWorker a(h, "fetcher-a");
  FakeWorker b(h, "fetcher-b");
  a.ready();
  b.ready();
  h.submit("j1");
  h.tick();
  Message first = a.job();
  CHECK(b.silent());

  for (int second = 1; second <= 2; ++second) {  // b keeps talking, a says nothing
    h.advance(1s);
    b.heartbeat();
    h.tick();
    CHECK(h.broker->workers("fetch") == 2);
  }
  h.advance(1s);
  b.heartbeat();
  h.tick();  // a silent for 3 s: dead, its job at the front, given to b
  CHECK(h.broker->workers("fetch") == 1);
  Message second = b.job();
  CHECK(second.body["job"] == "j1");
  CHECK(second.body["attempt"] == 2);

  SECTION("the dead worker's late done is stale and dropped") {
    a.done(first);
    CHECK(h.events.empty());
    CHECK(h.broker->in_flight() == 1);
    b.done(second);
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].kind == BrokerEvent::Kind::done);
    CHECK(h.events[0].job.attempts == 2);
  }
}

TEST_CASE("a dead worker's job goes back to the front of the queue", "[broker]") {
  Harness h;
  FakeWorker x(h, "x");
  x.ready();
  h.submit("first");
  h.tick();
  (void)x.job();
  h.submit("second");
  h.advance(3s);
  h.tick();  // x dead; nobody takes "first" now, and it must stay ahead of "second"
  CHECK(h.broker->workers("fetch") == 0);
  CHECK(h.broker->queued() == 2);
  FakeWorker y(h, "y");
  y.ready();
  h.tick();
  CHECK(y.job().body["job"] == "first");
}

TEST_CASE("an expired lease requeues the job and drops its worker", "[broker]") {
  JobBroker::Options o = slow_heartbeats();
  o.lease = 10s;
  Harness h(o);
  FakeWorker a(h, "fetcher-a");
  a.ready();
  h.submit("j1");
  h.tick();
  Message first = a.job();
  CHECK(h.broker->next_timeout() == 10s);

  SECTION("without batches the lease runs out") {
    h.advance(9s);
    h.tick();
    CHECK(h.broker->in_flight() == 1);
    h.advance(1s);
    h.tick();
    CHECK(h.broker->workers("fetch") == 0);
    CHECK(h.broker->queued() == 1);
    CHECK(h.events.empty());
    FakeWorker b(h, "fetcher-b");
    b.ready();
    h.tick();
    Message second = b.job();
    CHECK(second.body["attempt"] == 2);
    a.say("batch.items", {{"job", "j1"}, {"attempt", 1}, {"seq", 0}, {"items", json::array()}});
    CHECK(h.events.empty());  // stale
    b.failed(second, "HTTP 503", true);
    h.tick();
    Message third = b.job();
    CHECK(third.body["attempt"] == 3);
    b.failed(third, "HTTP 503", true);
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].kind == BrokerEvent::Kind::failed);
  }
  SECTION("a batch renews the lease") {
    h.advance(9s);
    a.say("batch.items", {{"job", "j1"}, {"attempt", 1}, {"seq", 0}, {"items", json::array()}});
    h.advance(9s);
    h.tick();
    CHECK(h.broker->in_flight() == 1);
    CHECK(h.broker->workers("fetch") == 1);
    h.advance(1s);
    h.tick();
    CHECK(h.broker->in_flight() == 0);
    CHECK(h.broker->queued() == 1);
  }
  SECTION("the last expired attempt reports the lease as the error") {
    JobBroker::Options once = o;
    once.max_attempts = 1;
    Harness h1(once);
    FakeWorker x(h1, "x");
    x.ready();
    h1.submit("j");
    h1.tick();
    (void)x.job();
    h1.advance(10s);
    h1.tick();
    REQUIRE(h1.events.size() == 1);
    CHECK(h1.events[0].kind == BrokerEvent::Kind::failed);
    CHECK_THAT(h1.events[0].body["error"].get<std::string>(), Catch::Contains("lease"));
    CHECK(h1.broker->queued() == 0);
  }
}

TEST_CASE("a done for an attempt that is not in flight is dropped", "[broker]") {
  Harness h(slow_heartbeats());
  FakeWorker a(h, "fetcher-a");
  a.ready();
  h.submit("j1");
  h.tick();
  Message job = a.job();

  a.say("job.done", {{"job", "j1"}, {"attempt", 7}, {"result", json::object()}});
  a.say("job.done", {{"job", "nope"}, {"attempt", 1}, {"result", json::object()}});
  FakeWorker stranger(h, "stranger");
  stranger.say("job.done", {{"job", "j1"}, {"attempt", 1}, {"result", json::object()}});
  CHECK(h.events.empty());
  CHECK(h.broker->in_flight() == 1);
  CHECK(stranger.silent());

  a.done(job);
  CHECK(count(h.events, BrokerEvent::Kind::done) == 1);
}

TEST_CASE("a retryable failure retries, then fails after max attempts with the error", "[broker]") {
  JobBroker::Options o = slow_heartbeats();
  o.max_attempts = 3;
  Harness h(o);
  FakeWorker a(h, "fetcher-a");
  a.ready();
  h.submit("j1");
  h.submit("j2");
  h.tick();
  Message job = a.job();
  CHECK(job.body["job"] == "j1");
  a.failed(job, "HTTP 503 from plex", true);
  h.tick();
  Message other = a.job();  // a retry goes to the back: j2 runs before it
  CHECK(other.body["job"] == "j2");
  a.done(other);
  REQUIRE(count(h.events, BrokerEvent::Kind::done) == 1);
  h.events.clear();
  for (int attempt = 2; attempt <= 3; ++attempt) {
    h.tick();
    job = a.job();
    CHECK(job.body["job"] == "j1");
    CHECK(job.body["attempt"] == attempt);
    CHECK(h.events.empty());
    a.failed(job, "HTTP 503 from plex", true);
  }
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0].kind == BrokerEvent::Kind::failed);
  CHECK(h.events[0].job.id == "j1");
  CHECK(h.events[0].job.attempts == 3);
  CHECK(h.events[0].job.last_error == "HTTP 503 from plex");
  CHECK(h.events[0].body["error"] == "HTTP 503 from plex");
  CHECK(h.broker->queued() == 0);
  CHECK(h.broker->in_flight() == 0);
}

TEST_CASE("a non-retryable failure fails at once", "[broker]") {
  Harness h(slow_heartbeats());
  FakeWorker a(h, "exporter-a");
  a.ready("export");
  h.submit("e1", "plex", "export");
  h.tick();
  a.failed(a.job(), "401 unauthorized", false);
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0].kind == BrokerEvent::Kind::failed);
  CHECK(h.events[0].job.attempts == 1);
  CHECK(h.events[0].body["error"] == "401 unauthorized");
  h.tick();
  CHECK(a.silent());
}

TEST_CASE("bad messages are refused with an ack and nothing crashes", "[broker]") {
  Harness h(slow_heartbeats());
  FakeWorker a(h, "fetcher-a");

  SECTION("an unknown message type") {
    a.say("job.bogus", {{"x", 1}});
    auto ack = a.receive();
    REQUIRE(ack);
    CHECK(ack->type == "ack");
    CHECK(ack->body["ok"] == false);
    CHECK(ack->body["fatal"] == false);
    CHECK_THAT(ack->body["error"].get<std::string>(), Catch::Contains("job.bogus"));
  }
  SECTION("another schema version is fatal") {
    a.say("worker.ready", {{"v", 2}, {"worker", "fetcher-a"}, {"serves", "fetch"}});
    auto ack = a.receive();
    REQUIRE(ack);
    CHECK(ack->type == "ack");
    CHECK(ack->body["fatal"] == true);
    CHECK_THAT(ack->body["error"].get<std::string>(), Catch::Contains("version"));
    CHECK(h.broker->workers("fetch") == 0);
  }
  SECTION("a message that is not for workers names the refused id") {
    a.say("ctl.request", {{"id", "m-42"}, {"command", "status"}});
    auto ack = a.receive();
    REQUIRE(ack);
    CHECK(ack->body["ref"] == "m-42");
  }
  SECTION("a ready without what it serves") {
    a.say("worker.ready", {{"worker", "fetcher-a"}, {"serves", "bake"}});
    auto ack = a.receive();
    REQUIRE(ack);
    CHECK(ack->body["ok"] == false);
    CHECK(h.broker->workers("fetch") == 0);
  }
  SECTION("fields of the wrong type") {
    a.say("worker.ready", {{"worker", "fetcher-a"}, {"serves", "fetch"}, {"servers", "plex"}});
    CHECK(a.receive()->type == "ack");
    a.say("job.done", {{"job", 5}, {"attempt", "one"}});
    CHECK(a.receive()->type == "ack");
  }
  SECTION("a body that is not MessagePack") {
    a.socket.send(zmq::str_buffer("heartbeat"), zmq::send_flags::sndmore);
    a.socket.send(zmq::str_buffer("\xc1\xc1"), zmq::send_flags::none);
    h.pump();
    CHECK(a.receive()->type == "ack");
  }
  SECTION("an ack is never answered, not even a bad one") {
    a.say("ack", {{"ref", "x"}, {"ok", false}, {"error", "no"}, {"fatal", false}});
    a.say("ack", {{"v", 9}, {"ref", "x"}, {"ok", false}});
    CHECK(a.silent());
  }
  CHECK(h.events.empty());

  // The broker still works afterwards.
  a.ready();
  h.submit("j1");
  h.tick();
  CHECK(a.job().body["job"] == "j1");
}

TEST_CASE("a worker that refuses its job fails that attempt", "[broker]") {
  Harness h(slow_heartbeats());
  FakeWorker a(h, "fetcher-a");
  a.ready();
  h.submit("j1");
  h.tick();
  Message job = a.job();
  SECTION("not fatal: the job is retried") {
    a.say("ack", {{"ref", job.body["id"]}, {"ok", false}, {"error", "job.fetch: missing 'library'"}, {"fatal", false}});
    CHECK(h.broker->in_flight() == 0);
    h.tick();
    CHECK(a.job().body["attempt"] == 2);
  }
  SECTION("fatal: the worker is dropped") {
    a.say("ack", {{"ref", job.body["id"]}, {"ok", false}, {"error", "schema version 1 is not supported"}, {"fatal", true}});
    CHECK(h.broker->workers("fetch") == 0);
    CHECK(h.broker->queued() == 1);
  }
}

TEST_CASE("heartbeats are sent when due and only then", "[broker]") {
  Harness h;  // heartbeat 1 s
  FakeWorker a(h, "fetcher-a");
  a.ready();
  CHECK(h.broker->next_timeout() == 1000ms);
  h.advance(999ms);
  h.tick();
  CHECK(a.silent());
  CHECK(h.broker->next_timeout() == 1ms);
  h.advance(1ms);
  h.tick();
  auto beat = a.receive(false);
  REQUIRE(beat);
  CHECK(beat->type == "heartbeat");
  CHECK(beat->body["worker"] == "fetcher-a");
  h.tick();
  CHECK(a.silent());  // not again until the next interval

  SECTION("a job sent counts as something sent") {
    a.heartbeat();
    h.advance(500ms);
    h.submit("j1");
    h.tick();
    (void)a.job();
    h.advance(999ms);
    a.heartbeat();
    h.tick();
    CHECK(a.silent());
    h.advance(1ms);
    h.tick();
    CHECK(a.receive(false)->type == "heartbeat");
  }
  SECTION("a worker that keeps heart-beating stays alive") {
    for (int i = 0; i < 10; ++i) {
      h.advance(1s);
      a.heartbeat();
      h.tick();
    }
    CHECK(h.broker->workers("fetch") == 1);
    h.advance(3s);
    h.tick();
    CHECK(h.broker->workers("fetch") == 0);
  }
  SECTION("an unknown peer's heartbeat gets nothing") {
    FakeWorker stranger(h, "stranger");
    stranger.heartbeat();
    h.advance(1s);
    h.tick();
    CHECK(stranger.silent());
    CHECK(h.broker->workers("fetch") == 1);
  }
}

TEST_CASE("a worker that says ready with a job in flight restarted: its job is requeued", "[broker]") {
  Harness h(slow_heartbeats());
  FakeWorker a(h, "fetcher-a");
  a.ready();
  h.submit("j1");
  h.tick();
  CHECK(a.job().body["attempt"] == 1);
  a.ready();
  CHECK(h.broker->in_flight() == 0);
  CHECK(h.broker->queued() == 1);
  h.tick();
  Message again = a.job();
  CHECK(again.body["attempt"] == 2);
}

TEST_CASE("a worker whose socket is gone is dropped when a send fails", "[broker]") {
  JobBroker::Options o;
  o.liveness = 1000;  // only the failed send may drop it
  Harness h(o);
  auto a = std::make_unique<FakeWorker>(h, "fetcher-a");
  a->ready();
  h.submit("j1");
  h.tick();
  (void)a->job();
  a.reset();  // closes the DEALER
  // ZeroMQ tears the pipe down asynchronously (the ROUTER sees it as it reads): keep the loop the
  // reconciler would run — read, tick with a heartbeat due — until the send fails, with a deadline.
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (h.broker->workers("fetch") > 0 && std::chrono::steady_clock::now() < deadline) {
    CHECK_FALSE(wait_message(h.router, true, 1ms));
    h.advance(1s);
    h.tick();
  }
  CHECK(h.broker->workers("fetch") == 0);
  CHECK(h.broker->queued() == 1);
  CHECK(h.events.empty());
}

TEST_CASE("cancel_queued drops queued jobs but not jobs in flight", "[broker]") {
  Harness h(slow_heartbeats());
  FakeWorker a(h, "fetcher-a");
  a.ready();
  h.submit("r1-a");
  h.submit("r1-b");
  h.submit("r2-a");
  h.tick();
  CHECK(a.job().body["job"] == "r1-a");
  CHECK(h.broker->cancel_queued([](const Job& j) { return j.id.rfind("r1-", 0) == 0; }) == 1);
  CHECK(h.broker->queued() == 1);
  CHECK(h.broker->in_flight() == 1);
  h.submit("r1-b");  // its id is free again
  CHECK(h.broker->queued() == 2);
}

TEST_CASE("options out of range are refused at construction", "[broker]") {
  zmq::context_t context;
  zmq::socket_t router(context, zmq::socket_type::router);
  JobBroker::Options o;
  SECTION("liveness") { o.liveness = 0; }
  SECTION("max_attempts") { o.max_attempts = 0; }
  SECTION("lease") { o.lease = 0ms; }
  SECTION("heartbeat") { o.heartbeat_interval = 0ms; }
  CHECK_THROWS_AS(JobBroker(router, o), std::invalid_argument);
}

TEST_CASE("a queued job that no connected worker can take fails after the queue timeout, naming what is missing",
          "[broker][queue_timeout]") {
  JobBroker::Options o = slow_heartbeats();
  o.queue_timeout = 60s;
  Harness h(o);
  auto is_any = [](const Job&) { return true; };

  SECTION("no worker of its service at all") {
    h.submit("e1", "jf1", "export");
    CHECK(h.broker->waiting_for(is_any) == "a ws-exporter for jf1");
    CHECK(h.broker->next_timeout() <= 60000ms);
    h.advance(59s);
    h.tick();
    CHECK(h.events.empty());
    h.advance(1s);
    h.tick();
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].kind == BrokerEvent::Kind::failed);
    CHECK(h.events[0].job.id == "e1");
    CHECK(h.events[0].body["error"] == "no ws-exporter is connected for server jf1 (the job waited 60 s)");
    CHECK(h.broker->queued() == 0);
    CHECK(h.broker->waiting_for(is_any).empty());
    h.submit("e1", "jf1", "export");  // its id is free again
  }
  SECTION("workers of its service only for other servers") {
    FakeWorker a(h, "exporter-a");
    a.ready("export", {"plex", "emby"});
    FakeWorker f(h, "fetcher-a");
    f.ready("fetch", {"jf1"});  // another service does not count
    h.submit("e1", "jf1", "export");
    h.tick();
    CHECK(a.silent());
    h.advance(60s);
    h.tick();
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].body["error"] ==
          "no ws-exporter is connected for server jf1 (the connected ones take only emby, plex) (the job waited 60 s)");
  }
  SECTION("a worker that comes in time takes it") {
    h.submit("j1");
    h.advance(59s);
    h.tick();
    FakeWorker a(h, "fetcher-a");
    a.ready();
    h.tick();
    CHECK(a.job().body["job"] == "j1");
    h.advance(10min);
    a.heartbeat();
    h.tick();
    CHECK(count(h.events, BrokerEvent::Kind::failed) == 0);
  }
}

TEST_CASE("a job waiting only for a busy worker does not time out", "[broker][queue_timeout]") {
  JobBroker::Options o;
  o.queue_timeout = 5s;
  o.lease = 1h;
  Harness h(o);
  FakeWorker a(h, "fetcher-a");
  a.ready("fetch", {"plex"});
  h.submit("j1");
  h.submit("j2");
  h.tick();
  Message first = a.job();
  for (int i = 0; i < 30; ++i) {  // 30 s busy with j1, heart-beating
    h.advance(1s);
    a.heartbeat();
    h.tick();
  }
  CHECK(h.events.empty());
  CHECK(h.broker->waiting_for([](const Job&) { return true; }).empty());
  a.done(first);
  h.tick();
  CHECK(a.job().body["job"] == "j2");
  SECTION("but once that worker is gone, the wait starts") {
    h.advance(3s);  // silent for the liveness: dropped, j2 back in the queue
    h.tick();
    CHECK(h.broker->workers("fetch") == 0);
    CHECK(h.broker->queued() == 1);
    h.advance(4s);
    h.tick();
    CHECK(count(h.events, BrokerEvent::Kind::failed) == 0);
    h.advance(1s);
    h.tick();
    REQUIRE(count(h.events, BrokerEvent::Kind::failed) == 1);
    CHECK_THAT(h.events.back().body["error"].get<std::string>(),
               Catch::StartsWith("no ws-fetcher is connected for server plex"));
  }
}

TEST_CASE("a malformed result or batch fails the attempt and the job is retried", "[broker][malformed]") {
  JobBroker::Options o = slow_heartbeats();
  o.max_attempts = 3;
  o.check_result = [](const Job&, const json& result) -> ws::Result<ws::Ok> {
    if (!result.contains("libraries")) return ws::make_error(ws::ErrorKind::invalid_input, "plan: 'libraries' is missing");
    return ws::Ok{};
  };
  Harness h(o);
  FakeWorker a(h, "fetcher-a");
  a.ready();
  h.submit("j1");
  h.tick();
  Message job = a.job();

  SECTION("a result the check refuses") {
    a.done(job, {{"items", 3}});
    auto ack = a.receive();
    REQUIRE(ack);
    CHECK(ack->type == "ack");
    CHECK(ack->body["error"] == "plan: 'libraries' is missing");
    CHECK(h.events.empty());
    h.tick();
    Message again = a.job();  // the worker is idle: it gets the retry
    CHECK(again.body["attempt"] == 2);
    a.done(again, {{"libraries", json::array()}});
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].kind == BrokerEvent::Kind::done);
  }
  SECTION("a result that is not a map") {
    a.say("job.done", {{"job", "j1"}, {"attempt", 1}, {"result", "done!"}});
    CHECK_THAT(a.receive()->body["error"].get<std::string>(), Catch::Contains("'result' must be a map"));
    h.tick();
    CHECK(a.job().body["attempt"] == 2);
  }
  SECTION("no result at all") {
    a.say("job.done", {{"job", "j1"}, {"attempt", 1}});
    CHECK_THAT(a.receive()->body["error"].get<std::string>(), Catch::Contains("'result' is missing"));
  }
  SECTION("a malformed result every time fails the job after max attempts") {
    for (int attempt = 1; attempt <= 3; ++attempt) {
      if (attempt > 1) {
        h.tick();
        job = a.job();
        CHECK(job.body["attempt"] == attempt);
      }
      a.done(job, {{"items", 1}});
      CHECK(a.receive()->type == "ack");
    }
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].kind == BrokerEvent::Kind::failed);
    CHECK(h.events[0].body["error"] == "worker fetcher-a sent a malformed result: plan: 'libraries' is missing");
  }
  SECTION("a batch without a list of items drops the worker and requeues the job at the front") {
    a.say("batch.items", {{"job", "j1"}, {"attempt", 1}, {"seq", 0}, {"items", "lots"}});
    auto ack = a.receive();
    REQUIRE(ack);
    CHECK_THAT(ack->body["error"].get<std::string>(), Catch::Contains("'items' must be a list"));
    CHECK(h.broker->workers("fetch") == 0);
    CHECK(h.broker->queued() == 1);
    CHECK(h.events.empty());
  }
  SECTION("a failure with mistyped fields is a retryable failure") {
    a.say("job.failed", {{"job", "j1"}, {"attempt", 1}, {"error", 42}, {"retryable", "no"}});
    CHECK(a.receive()->type == "ack");
    CHECK(h.broker->queued() == 1);
    h.tick();
    CHECK(a.job().body["attempt"] == 2);
  }
  SECTION("a malformed ack is dropped: not answered, and the job stays with the worker") {
    a.say("ack", {{"ref", job.body["id"]}, {"ok", "no"}});
    a.say("ack", {{"ref", 7}, {"ok", false}});
    a.say("ack", {{"ref", job.body["id"]}});
    CHECK(a.silent());
    CHECK(h.broker->in_flight() == 1);
  }
}
