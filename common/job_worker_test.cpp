// The worker half of the broker protocol, against a ROUTER in the test thread playing broker
// over inproc:// with short heartbeat intervals.
#include "ws/job_worker.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "ws/zmq_channel.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string unique_endpoint() {
  static std::atomic<int> n{0};
  return "inproc://job-worker-test-" + std::to_string(n.fetch_add(1));
}

// The test's broker: a bound ROUTER and helpers that wait with deadlines.
struct TestBroker {
  zmq::context_t& ctx;
  zmq::socket_t router;
  std::string endpoint = unique_endpoint();

  explicit TestBroker(zmq::context_t& c) : ctx(c), router(c, zmq::socket_type::router) {
    router.set(zmq::sockopt::linger, 0);
    router.bind(endpoint);
  }

  // The next message, or nullopt when none came before the deadline.
  std::optional<ws::Envelope> receive(std::chrono::milliseconds within = 3000ms) {
    const auto until = Clock::now() + within;
    while (Clock::now() < until) {
      zmq::pollitem_t items[] = {{static_cast<void*>(router), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, 10ms);
      if (auto env = ws::receive_message(router, true)) return env;
    }
    return std::nullopt;
  }

  // The next message of `type`, skipping heartbeats (and other types) meanwhile.
  std::optional<ws::Envelope> expect(std::string_view type, std::chrono::milliseconds within = 3000ms,
                                     int* heartbeats = nullptr) {
    const auto until = Clock::now() + within;
    while (Clock::now() < until) {
      auto env = receive(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
      if (!env) break;
      if (env->message && env->message->type == type) return env;
      if (heartbeats && env->message && env->message->type == ws::protocol::kHeartbeat) ++*heartbeats;
    }
    return std::nullopt;
  }

  void send(const std::string& peer, std::string_view type, nlohmann::json body) {
    REQUIRE(ws::send_message(router, ws::Message{std::string(type), std::move(body)}, peer));
  }

  void send_job(const std::string& peer, const std::string& job, int attempt = 1,
                std::string_view type = ws::protocol::kJobFetch) {
    send(peer, type, {{"job", job}, {"attempt", attempt}, {"server", "s"}});
  }
};

ws::JobWorkerOptions short_options(const std::string& endpoint) {
  ws::JobWorkerOptions o;
  o.endpoint = endpoint;
  o.service = std::string(ws::protocol::kServiceFetch);
  o.name = "test-fetcher";
  o.servers = {"alpha", "beta"};
  o.heartbeat = 40ms;
  o.liveness = 3;
  o.reconnect_initial = 20ms;
  o.reconnect_max = 80ms;
  return o;
}

// `options` with `liveness` heartbeats of silence before giving up on the broker (0: as given).
ws::JobWorkerOptions with_liveness(ws::JobWorkerOptions options, int liveness) {
  if (liveness > 0) options.liveness = liveness;
  return options;
}

// A JobWorker running on its own thread; stopped and joined on destruction.
struct RunningWorker {
  ws::JobWorker worker;
  std::future<void> done;

  RunningWorker(zmq::context_t& ctx, ws::JobWorkerOptions options, ws::JobHandler handler, int liveness = 0)
      : worker(ctx, with_liveness(std::move(options), liveness), std::move(handler)) {
    done = std::async(std::launch::async, [this] { worker.run(); });
  }
  ~RunningWorker() {
    worker.stop();
    done.wait();
  }
};

// A gate a handler waits at until the test opens it (or the job is cancelled).
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<bool> entered{false};

  void wait(ws::JobContext& ctx) {
    entered = true;
    std::unique_lock<std::mutex> lock(mu);
    while (!open && !ctx.cancelled()) cv.wait_for(lock, 5ms);
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
    cv.notify_all();
  }
};

template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds within = 3000ms) {
  const auto until = Clock::now() + within;
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);  // polling the condition, not hiding a race
  }
  return pred();
}

ws::JobHandler done_handler() {
  return [](const ws::Message& job, ws::JobContext&) -> ws::Result<nlohmann::json> {
    return nlohmann::json{{"echo", job.body.value("server", "")}};
  };
}

}  // namespace

TEST_CASE("a worker says ready with its name, service and servers on connect", "[job_worker]") {
  zmq::context_t ctx;
  TestBroker broker(ctx);
  RunningWorker w(ctx, short_options(broker.endpoint), done_handler());

  auto ready = broker.expect(ws::protocol::kWorkerReady);
  REQUIRE(ready);
  REQUIRE(ready->message);
  const auto& body = ready->message->body;
  CHECK(body["worker"] == "test-fetcher");
  CHECK(body["serves"] == "fetch");
  CHECK(body["servers"] == nlohmann::json::array({"alpha", "beta"}));
  CHECK(body["v"] == ws::kMessageSchemaVersion);
}

TEST_CASE("heartbeats keep flowing while a slow job runs", "[job_worker]") {
  zmq::context_t ctx;
  TestBroker broker(ctx);
  Gate gate;
  RunningWorker w(ctx, short_options(broker.endpoint),
                  [&](const ws::Message&, ws::JobContext& job) -> ws::Result<nlohmann::json> {
                    gate.wait(job);
                    return nlohmann::json{{"items", 0}};
                  },
                  /*liveness=*/25);
  auto ready = broker.expect(ws::protocol::kWorkerReady);
  REQUIRE(ready);
  broker.send_job(ready->peer, "j1");
  REQUIRE(wait_until([&] { return gate.entered.load(); }));

  // While the job is blocked the worker must heartbeat all along (five of them, within a deadline
  // that a loaded machine still meets), and must not give up on us since we heartbeat too. Its
  // liveness is long here: this test is about its heartbeats, not about how soon it gives up on a
  // broker that a busy scheduler kept quiet.
  int heartbeats = 0;
  const auto until = Clock::now() + 5000ms;
  while (Clock::now() < until && heartbeats < 5) {
    broker.send(ready->peer, ws::protocol::kHeartbeat, nlohmann::json::object());
    auto env = broker.receive(40ms);
    if (env && env->message) {
      CHECK(env->message->type != ws::protocol::kWorkerReady);  // no reconnect
      if (env->message->type == ws::protocol::kHeartbeat) {
        ++heartbeats;
        CHECK(env->peer == ready->peer);
        CHECK(env->message->body["worker"] == "test-fetcher");
      }
    }
  }
  CHECK(heartbeats >= 5);
  gate.release();
  auto done = broker.expect(ws::protocol::kJobDone);
  REQUIRE(done);
  CHECK(done->message->body["job"] == "j1");
  CHECK(w.worker.connects() == 1);
}

TEST_CASE("a job's batches arrive in order, then its done", "[job_worker]") {
  zmq::context_t ctx;
  TestBroker broker(ctx);
  static constexpr int kBatches = 20;  // more than the queue holds: the handler waits for the socket
  RunningWorker w(ctx, short_options(broker.endpoint),
                  [](const ws::Message& job, ws::JobContext& ctx) -> ws::Result<nlohmann::json> {
                    for (int i = 0; i < kBatches; ++i) ctx.send_batch({{"items", nlohmann::json::array({i})}});
                    return nlohmann::json{{"batches", kBatches}, {"server", job.body["server"]}};
                  },
                  /*liveness=*/250);  // this broker sends no heartbeats: 10 s before the worker gives up on it
  auto ready = broker.expect(ws::protocol::kWorkerReady);
  REQUIRE(ready);
  broker.send_job(ready->peer, "j2", 2);

  for (int i = 0; i < kBatches; ++i) {
    auto batch = broker.expect(ws::protocol::kBatchItems);
    REQUIRE(batch);
    const auto& b = batch->message->body;
    CHECK(b["job"] == "j2");
    CHECK(b["attempt"] == 2);
    CHECK(b["seq"] == i);
    // decode_message hands a batch's items over undecoded (Message::items_msgpack)
    CHECK(nlohmann::json::from_msgpack(batch->message->items_msgpack)[0] == i);
  }
  auto done = broker.expect(ws::protocol::kJobDone);
  REQUIRE(done);
  CHECK(done->message->body["job"] == "j2");
  CHECK(done->message->body["attempt"] == 2);
  CHECK(done->message->body["result"]["batches"] == kBatches);
  CHECK(done->message->body["result"]["server"] == "s");

  SECTION("and the worker takes the next job afterwards") {
    broker.send_job(ready->peer, "j3");
    auto next = broker.expect(ws::protocol::kJobDone);
    REQUIRE(next);
    CHECK(next->message->body["job"] == "j3");
  }
}

TEST_CASE("a failed job is reported with whether another attempt may help", "[job_worker]") {
  zmq::context_t ctx;
  TestBroker broker(ctx);
  ws::Error error;
  bool throws = false;
  bool retryable = false;
  SECTION("unavailable is retryable") {
    error = ws::make_error(ws::ErrorKind::unavailable, "server 'x' answered 503");
    retryable = true;
  }
  SECTION("unauthorized is not") {
    error = ws::make_error(ws::ErrorKind::unauthorized, "server 'x' refused the token");
  }
  SECTION("invalid input is not") {
    error = ws::make_error(ws::ErrorKind::invalid_input, "job.fetch: no 'library'");
  }
  SECTION("an exception is an internal error, not retryable") {
    error.message = "internal error: boom";
    throws = true;
  }
  RunningWorker w(ctx, short_options(broker.endpoint),
                  [&](const ws::Message&, ws::JobContext&) -> ws::Result<nlohmann::json> {
                    if (throws) throw std::runtime_error("boom");
                    return error;
                  });
  auto ready = broker.expect(ws::protocol::kWorkerReady);
  REQUIRE(ready);
  broker.send_job(ready->peer, "j4", 3);
  auto failed = broker.expect(ws::protocol::kJobFailed);
  REQUIRE(failed);
  const auto& b = failed->message->body;
  CHECK(b["job"] == "j4");
  CHECK(b["attempt"] == 3);
  CHECK(b["error"] == error.message);
  CHECK(b["retryable"] == retryable);
}

TEST_CASE("stop() in the middle of a job returns promptly and hands the job back", "[job_worker]") {
  zmq::context_t ctx;
  TestBroker broker(ctx);
  std::atomic<bool> entered{false};
  auto options = short_options(broker.endpoint);
  options.heartbeat = 1000ms;  // the default: stop must not wait for a heartbeat tick
  ws::JobWorker worker(ctx, options, [&](const ws::Message&, ws::JobContext& job) -> ws::Result<nlohmann::json> {
    entered = true;
    int pages = 0;
    while (!job.cancelled()) job.send_batch({{"page", pages++}});  // a fetch that never ends
    return nlohmann::json::object();
  });
  auto running = std::async(std::launch::async, [&] { worker.run(); });
  auto ready = broker.expect(ws::protocol::kWorkerReady);
  REQUIRE(ready);
  broker.send_job(ready->peer, "j5");
  REQUIRE(wait_until([&] { return entered.load(); }));
  REQUIRE(broker.expect(ws::protocol::kBatchItems));

  const auto asked = Clock::now();
  worker.stop();
  REQUIRE(running.wait_for(2s) == std::future_status::ready);
  CHECK(Clock::now() - asked < 500ms);

  auto failed = broker.expect(ws::protocol::kJobFailed, 1000ms);
  REQUIRE(failed);
  CHECK(failed->message->body["job"] == "j5");
  CHECK(failed->message->body["retryable"] == true);
}

TEST_CASE("stop() before any broker answers returns promptly", "[job_worker]") {
  zmq::context_t ctx;
  auto options = short_options(unique_endpoint());  // nothing is bound there
  options.heartbeat = 1000ms;
  ws::JobWorker worker(ctx, options, done_handler());
  auto running = std::async(std::launch::async, [&] { worker.run(); });
  REQUIRE(wait_until([&] { return worker.connects() >= 1; }));
  const auto asked = Clock::now();
  worker.stop();
  REQUIRE(running.wait_for(2s) == std::future_status::ready);
  CHECK(Clock::now() - asked < 500ms);
}

TEST_CASE("a message a worker cannot take is refused, and the worker goes on", "[job_worker]") {
  zmq::context_t ctx;
  TestBroker broker(ctx);
  RunningWorker w(ctx, short_options(broker.endpoint), done_handler());
  auto ready = broker.expect(ws::protocol::kWorkerReady);
  REQUIRE(ready);

  SECTION("a known type workers do not take") {
    ws::Message request{std::string(ws::protocol::kCtlRequest), {{"id", "req-1"}, {"command", "status"}}};
    REQUIRE(ws::send_message(broker.router, request, ready->peer));
    auto ack = broker.expect(ws::protocol::kAck);
    REQUIRE(ack);
    CHECK(ack->message->body["ok"] == false);
    CHECK(ack->message->body["ref"] == "req-1");
    CHECK(ack->message->body["fatal"] == false);
    CHECK(ack->message->body["error"].get<std::string>().find("ctl.request") != std::string::npos);
  }
  SECTION("an unknown type") {
    broker.router.send(zmq::buffer(ready->peer), zmq::send_flags::sndmore);
    broker.router.send(zmq::str_buffer("job.teleport"), zmq::send_flags::sndmore);
    broker.router.send(zmq::str_buffer("\x80"), zmq::send_flags::none);
    auto ack = broker.expect(ws::protocol::kAck);
    REQUIRE(ack);
    CHECK(ack->message->body["ok"] == false);
    CHECK(ack->message->body["error"].get<std::string>().find("job.teleport") != std::string::npos);
  }
  SECTION("a body that is not MessagePack") {
    broker.router.send(zmq::buffer(ready->peer), zmq::send_flags::sndmore);
    broker.router.send(zmq::str_buffer("job.fetch"), zmq::send_flags::sndmore);
    broker.router.send(zmq::str_buffer("not msgpack"), zmq::send_flags::none);
    auto ack = broker.expect(ws::protocol::kAck);
    REQUIRE(ack);
    CHECK(ack->message->body["ok"] == false);
  }
  SECTION("a job without a job id") {
    broker.send(ready->peer, ws::protocol::kJobFetch, {{"id", "m-7"}, {"attempt", 1}});
    auto ack = broker.expect(ws::protocol::kAck);
    REQUIRE(ack);
    CHECK(ack->message->body["ref"] == "m-7");
  }
  SECTION("a job of the other service") {
    broker.send(ready->peer, ws::protocol::kJobExport, {{"id", "m-8"}, {"job", "wrong"}, {"attempt", 1}});
    auto ack = broker.expect(ws::protocol::kAck);
    REQUIRE(ack);
    CHECK(ack->message->body["ref"] == "m-8");
    CHECK(ack->message->body["fatal"] == false);
  }
  SECTION("a malformed ack is not answered") {
    broker.router.send(zmq::buffer(ready->peer), zmq::send_flags::sndmore);
    broker.router.send(zmq::str_buffer("ack"), zmq::send_flags::sndmore);
    broker.router.send(zmq::str_buffer("not msgpack"), zmq::send_flags::none);
  }

  broker.send_job(ready->peer, "after");
  int acks = 0;
  std::optional<ws::Envelope> done;
  while (auto env = broker.receive()) {  // an ack (if any) comes before the done
    REQUIRE(env->message);
    if (env->message->type == ws::protocol::kAck) ++acks;
    if (env->message->type == ws::protocol::kJobDone) {
      done = std::move(env);
      break;
    }
  }
  REQUIRE(done);
  CHECK(done->message->body["job"] == "after");
  CHECK(acks == 0);  // exactly one refusal per bad message, each already taken above
  CHECK(w.worker.connects() == 1);
}

TEST_CASE("a second job while one runs is refused", "[job_worker]") {
  zmq::context_t ctx;
  TestBroker broker(ctx);
  Gate gate;
  RunningWorker w(ctx, short_options(broker.endpoint),
                  [&](const ws::Message&, ws::JobContext& job) -> ws::Result<nlohmann::json> {
                    gate.wait(job);
                    return nlohmann::json::object();
                  });
  auto ready = broker.expect(ws::protocol::kWorkerReady);
  REQUIRE(ready);
  broker.send_job(ready->peer, "first");
  REQUIRE(wait_until([&] { return gate.entered.load(); }));
  broker.send(ready->peer, ws::protocol::kJobFetch, {{"id", "m-second"}, {"job", "second"}, {"attempt", 1}});
  auto refused = broker.expect(ws::protocol::kAck);
  REQUIRE(refused);
  CHECK(refused->message->body["ref"] == "m-second");
  CHECK(refused->message->body["ok"] == false);
  CHECK(refused->message->body["error"].get<std::string>().find("busy") != std::string::npos);
  gate.release();
  auto done = broker.expect(ws::protocol::kJobDone);
  REQUIRE(done);
  CHECK(done->message->body["job"] == "first");
}

TEST_CASE("a silent broker makes the worker reconnect and say ready again", "[job_worker]") {
  zmq::context_t ctx;
  TestBroker broker(ctx);
  RunningWorker w(ctx, short_options(broker.endpoint), done_handler());
  auto first = broker.expect(ws::protocol::kWorkerReady);
  REQUIRE(first);
  // We say nothing: after 3 × 40 ms the worker gives up on this connection.
  auto second = broker.expect(ws::protocol::kWorkerReady, 3000ms);
  REQUIRE(second);
  CHECK(second->peer != first->peer);  // a new socket
  CHECK(w.worker.connects() >= 2);

  SECTION("and serves jobs on the new connection") {
    broker.send_job(second->peer, "after-reconnect");
    auto done = broker.expect(ws::protocol::kJobDone);
    REQUIRE(done);
    CHECK(done->message->body["job"] == "after-reconnect");
  }
}

TEST_CASE("a worker that hears from its broker does not reconnect", "[job_worker]") {
  zmq::context_t ctx;
  TestBroker broker(ctx);
  RunningWorker w(ctx, short_options(broker.endpoint), done_handler());
  auto ready = broker.expect(ws::protocol::kWorkerReady);
  REQUIRE(ready);
  const auto until = Clock::now() + 500ms;  // about 12 liveness windows
  while (Clock::now() < until) {
    broker.send(ready->peer, ws::protocol::kHeartbeat, nlohmann::json::object());
    auto env = broker.receive(30ms);
    if (env && env->message) CHECK(env->message->type != ws::protocol::kWorkerReady);
  }
  CHECK(w.worker.connects() == 1);
}

TEST_CASE("retryable errors are the transient kinds", "[job_worker]") {
  CHECK(ws::is_retryable(ws::make_error(ws::ErrorKind::unavailable, "")));
  CHECK(ws::is_retryable(ws::make_error(ws::ErrorKind::io, "")));
  CHECK_FALSE(ws::is_retryable(ws::make_error(ws::ErrorKind::unauthorized, "")));
  CHECK_FALSE(ws::is_retryable(ws::make_error(ws::ErrorKind::invalid_input, "")));
  CHECK_FALSE(ws::is_retryable(ws::make_error(ws::ErrorKind::not_found, "")));
}

TEST_CASE("a job whose handler throws fails alone, and the worker serves the next one", "[job_worker]") {
  zmq::context_t ctx;
  TestBroker broker(ctx);
  auto options = short_options(broker.endpoint);
  options.heartbeat = 500ms;  // no reconnect while the test runs: it must be the same connection
  RunningWorker w(ctx, options, [](const ws::Message& job, ws::JobContext&) -> ws::Result<nlohmann::json> {
    if (job.body.value("server", "") == "throws") throw std::runtime_error("boom");
    if (job.body.value("server", "") == "type") return nlohmann::json(job.body.at("missing").get<int>());
    return nlohmann::json{{"served", true}};
  });
  auto ready = broker.expect(ws::protocol::kWorkerReady);
  REQUIRE(ready);
  broker.send(ready->peer, ws::protocol::kJobFetch, {{"job", "j-throws"}, {"attempt", 1}, {"server", "throws"}});
  auto failed = broker.expect(ws::protocol::kJobFailed);
  REQUIRE(failed);
  CHECK(failed->message->body["job"] == "j-throws");
  CHECK(failed->message->body["error"] == "internal error: boom");
  broker.send(ready->peer, ws::protocol::kJobFetch, {{"job", "j-type"}, {"attempt", 1}, {"server", "type"}});
  failed = broker.expect(ws::protocol::kJobFailed);
  REQUIRE(failed);
  CHECK(failed->message->body["job"] == "j-type");
  CHECK(failed->message->body["retryable"] == false);

  broker.send(ready->peer, ws::protocol::kJobFetch, {{"job", "j-next"}, {"attempt", 1}, {"server", "fine"}});
  auto done = broker.expect(ws::protocol::kJobDone);
  REQUIRE(done);
  CHECK(done->message->body["job"] == "j-next");
  CHECK(done->message->body["result"]["served"] == true);
  CHECK(w.worker.connects() == 1);
}

TEST_CASE("a message with fields of unexpected types never ends run()", "[job_worker]") {
  zmq::context_t ctx;
  TestBroker broker(ctx);
  auto options = short_options(broker.endpoint);
  options.heartbeat = 500ms;
  RunningWorker w(ctx, options, done_handler());
  auto ready = broker.expect(ws::protocol::kWorkerReady);
  REQUIRE(ready);
  SECTION("an ack whose ok is not a bool") {
    broker.send(ready->peer, ws::protocol::kAck, {{"id", "a-1"}, {"ref", "x"}, {"ok", "yes"}});
  }
  SECTION("a refusal whose fatal and error are not a bool and a string") {
    broker.send(ready->peer, ws::protocol::kAck, {{"id", "a-2"}, {"ref", 7}, {"ok", false}, {"fatal", "no"}, {"error", 3}});
  }
  broker.send_job(ready->peer, "after");
  auto done = broker.expect(ws::protocol::kJobDone);
  REQUIRE(done);
  CHECK(done->message->body["job"] == "after");
  CHECK(w.worker.connects() == 1);
  CHECK(w.done.wait_for(0ms) == std::future_status::timeout);  // run() is still serving
}
