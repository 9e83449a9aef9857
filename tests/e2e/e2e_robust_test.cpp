// The reconciler's process boundary, end to end (issue 7): hostile frames on each of its three
// endpoints from a real ZeroMQ peer, malformed results from a worker it gave a job to, a job no
// worker can take. The reconciler is the real ws-reconciler process; afterwards it must still do
// its work.
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>

#include <catch2/catch.hpp>
#include <zmq.hpp>

#include "e2e_fakes.h"
#include "e2e_harness.h"
#include "e2e_stack.h"
#include "ws/message.h"
#include "ws/zmq_channel.h"

namespace {

using namespace ws::e2e;
using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string msgpack(const json& j) {
  std::string out;
  json::to_msgpack(j, nlohmann::detail::output_adapter<char>(out));
  return out;
}

// A DEALER that sends whatever frames it is given.
class RawPeer {
 public:
  // `watched`: connection events are recorded from the start (wait_connected, wait_disconnected).
  RawPeer(zmq::context_t& context, const std::string& endpoint, bool watched = false)
      : context_(&context), socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    if (watched) watch_connections();
    socket_.connect(endpoint);
  }
  bool wait_connected(std::chrono::milliseconds limit) { return wait_event(ZMQ_EVENT_CONNECTED, limit); }
  bool wait_disconnected(std::chrono::milliseconds limit) { return wait_event(ZMQ_EVENT_DISCONNECTED, limit); }

  void frames(const std::vector<std::string>& parts) {
    for (size_t i = 0; i < parts.size(); ++i) {
      const auto flags = i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      REQUIRE(socket_.send(zmq::buffer(parts[i]), flags));
    }
  }
  void send(const std::string& type, const json& body) { frames({type, msgpack(body)}); }
  // The next decodable message `want` accepts, within `limit` (others are skipped).
  std::optional<ws::Message> next(const std::function<bool(const ws::Message&)>& want,
                                  std::chrono::milliseconds limit = 10s) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 50ms);
      while (auto env = ws::receive_message(socket_, false))
        if (env->message && want(*env->message)) return env->message.value();
    }
    return std::nullopt;
  }
  // Sends `probe` and returns the first message that answers anything: used to show that what was
  // sent before it was not answered (one connection keeps its order).
  std::optional<ws::Message> first_answer_to(const std::string& type, const json& probe) {
    send(type, probe);
    return next([](const ws::Message& m) { return m.type != "heartbeat"; });
  }

 private:
  // Connection events of this socket through a ZMQ socket monitor on an inproc PAIR.
  void watch_connections() {
    static int counter = 0;
    const std::string address = "inproc://raw-peer-monitor-" + std::to_string(++counter);
    REQUIRE(zmq_socket_monitor(socket_.handle(), address.c_str(), ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) == 0);
    monitor_.emplace(*context_, zmq::socket_type::pair);
    monitor_->set(zmq::sockopt::linger, 0);
    monitor_->connect(address);
  }

  // Monitor messages: a frame of 6 bytes (event number, value), then the endpoint.
  bool wait_event(uint16_t wanted, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      zmq::pollitem_t item{monitor_->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 50ms);
      zmq::message_t event;
      while (monitor_->recv(event, zmq::recv_flags::dontwait)) {
        uint16_t number = 0;
        std::memcpy(&number, event.data(), sizeof number);
        zmq::message_t address;
        (void)monitor_->recv(address);
        if (number == wanted) return true;
      }
    }
    return false;
  }

  zmq::context_t* context_;
  zmq::socket_t socket_;
  std::optional<zmq::socket_t> monitor_;
};

// The fields each message type carries (docs/protocol.md), each to be sent missing and mistyped.
const std::map<std::string, std::vector<std::string>>& fields_by_type() {
  static const std::map<std::string, std::vector<std::string>> fields = {
      {"job.fetch", {"job", "attempt", "server", "kind", "library", "library_kind", "start", "count", "page_size"}},
      {"job.export", {"job", "attempt", "server", "actions"}},
      {"batch.items", {"job", "attempt", "seq", "server", "library", "items"}},
      {"job.done", {"job", "attempt", "result"}},
      {"job.failed", {"job", "attempt", "error", "retryable"}},
      {"event.webhook", {"event", "spool_id"}},
      {"ack", {"ref", "ok", "error", "fatal"}},
      {"worker.ready", {"worker", "serves", "servers"}},
      {"heartbeat", {"worker"}},
      {"ctl.request", {"command", "servers", "full", "dry_run", "force"}},
      {"ctl.progress", {"ref", "server", "phase", "done", "total"}},
      {"ctl.reply", {"ref", "ok", "error", "summary"}},
  };
  return fields;
}

// Values of every MessagePack kind, none of which is what any field wants all the time.
std::vector<json> wrong_values() {
  json deep = 0;
  for (int i = 0; i < 20; ++i) deep = json::array({deep});
  return {json(nullptr), json(true), json(-1), json(uint64_t(-1)), json(1.5), json("x"), json(""),
          json::array(), json::array({1, "a"}), json::object(), json{{"k", {1, 2}}}, json::binary({1, 2}), deep};
}

// Sends a message the endpoint answers (a status request on control, a job.fetch, which is
// refused, elsewhere) and returns the first answer that comes back: one connection keeps its
// order, so everything sent before has been handled, and whatever was not answered never will be.
std::optional<ws::Message> probe(RawPeer& peer, const std::string& endpoint_name, const std::string& id) {
  json body = {{"v", 1}, {"id", id}};
  if (endpoint_name == "control") body["command"] = "status";
  return peer.first_answer_to(endpoint_name == "control" ? "ctl.request" : "job.fetch", body);
}

// Every kind of hostile message at one endpoint. None may be answered with anything but a
// refusal, and an ack never at all.
void send_hostile(zmq::context_t& context, const std::string& endpoint, const std::string& name) {
  INFO("endpoint " << name);
  std::vector<std::string> types;
  for (const auto& [type, fields] : fields_by_type()) types.push_back(type);
  types.push_back("no.such.type");

  {
    RawPeer peer(context, endpoint);
    // Nested 200,000 deep: 200 KB of 0x91.
    const std::string deep = std::string(200000, '\x91') + '\xc0';
    std::string deep_in_map = msgpack({{"v", 1}, {"id", "deep"}});
    deep_in_map[0] = '\x83';  // a map of three: v, id, and "d" holding the deep list
    deep_in_map += std::string("\xa1" "d", 2) + deep;
    for (const auto& type : types) {
      peer.frames({type, deep});
      peer.frames({type, deep_in_map});
    }
    // Wrong frame counts, empty frames, garbage.
    peer.frames({"job.done"});
    peer.frames({""});
    peer.frames({"job.done", msgpack({{"v", 1}, {"id", "a"}}), "extra"});
    std::vector<std::string> many(100, "x");
    peer.frames(many);
    peer.frames({"ack", "\xc1"});
    peer.frames({"ctl.request", "not msgpack at all"});
    peer.frames({"ctl.request", msgpack(json::array({1, 2}))});
    peer.frames({"heartbeat", msgpack({{"v", "1"}, {"id", "a"}})});
    peer.frames({"heartbeat", msgpack({{"v", 2}, {"id", "a"}})});
    peer.frames({"heartbeat", msgpack({{"v", 1}, {"id", 7}})});

    // Every type with every field missing, and each field mistyped alone. A control request's
    // base is a status request, so a variant that happens to be valid queues nothing.
    const auto values = wrong_values();
    int n = 0;
    for (const auto& [type, fields] : fields_by_type()) {
      peer.send(type, {{"v", 1}, {"id", "missing-" + type}});
      for (const auto& field : fields) {
        for (const auto& value : values) {
          json body = {{"v", 1}, {"id", "h" + std::to_string(++n)}};
          if (type == "ctl.request") body["command"] = "status";
          body[field] = value;
          peer.send(type, body);
        }
      }
    }
    // Everything above was handled: the reconciler answers what came after it.
    json body = {{"v", 1}, {"id", "settle"}};
    if (name == "control") body["command"] = "status";
    peer.send(name == "control" ? "ctl.request" : "job.fetch", body);
    REQUIRE(peer.next([](const ws::Message& m) { return m.body.value("ref", "") == "settle"; }));
  }
  {
    // 64 MiB: libzmq drops it, and the connection, at the reconciler (ZMQ_MAXMSGSIZE).
    RawPeer peer(context, endpoint, true);
    REQUIRE(peer.wait_connected(10s));
    peer.frames({"batch.items", std::string(64u << 20, '\xa1')});
    CHECK(peer.wait_disconnected(20s));
  }
  {
    // A malformed ack is never answered: the first answer on this connection is to the probe.
    RawPeer peer(context, endpoint);
    peer.send("ack", {{"v", 1}, {"id", "a1"}, {"ok", "maybe"}, {"ref", 5}});
    peer.frames({"ack", "\x93\x01"});
    peer.frames({"ack", msgpack({{"v", 1}, {"id", "a2"}, {"ok", false}, {"ref", "nothing"}, {"error", "hostile"}})});
    auto answer = probe(peer, name, "probe");
    REQUIRE(answer);
    CHECK(answer->body.value("ref", "") == "probe");
  }
}

// The reconciler's status through its control endpoint.
json reconciler_status(zmq::context_t& context, const DataFolder& folder) {
  RawPeer cli(context, folder.control_endpoint());
  cli.send("ctl.request", {{"v", 1}, {"id", "status"}, {"command", "status"}});
  auto reply = cli.next([](const ws::Message& m) { return m.type == "ctl.reply"; });
  REQUIRE(reply);
  return reply->body.at("summary");
}

}  // namespace

TEST_CASE("hostile frames on every reconciler endpoint are refused, and the reconciler still completes an import",
          "[e2e][hostile]") {
  auto fakes = FakeSet::start({{"plex", "plex", {"--state-seed", "1", "--watched", "30"}}}, small_catalog());
  DataFolder folder("hostile");
  folder.write_servers(fakes.servers());
  folder.write_config("jobs:\n  max_attempts: 10\n");
  Stack stack(folder, 0, 0);  // the reconciler alone: this test plays the workers
  zmq::context_t context;

  send_hostile(context, folder.workers_endpoint(), "workers");
  send_hostile(context, folder.events_endpoint(), "events");
  send_hostile(context, folder.control_endpoint(), "control");
  REQUIRE_LOGGED(stack, stack.reconciler().running());
  // Hostile peers that happened to say a valid worker.ready are dropped once they fall silent.
  json status;
  REQUIRE_LOGGED(stack, wait_until([&] {
                   status = reconciler_status(context, folder);
                   return status.at("fetchers") == 0 && status.at("exporters") == 0;
                 }, 20s, 200ms));
  CHECK(status.at("queued_requests") == 0);
  CHECK(status.at("running") == "");

  // A worker that answers its job with malformed results: each answer is refused and the job is
  // retried, until a real fetcher takes it.
  RawPeer worker(context, folder.workers_endpoint());
  auto ready = [&](const std::string& serves) {
    worker.send("worker.ready", {{"v", 1}, {"id", "r-" + serves}, {"worker", "malformed"}, {"serves", serves}});
  };
  auto next_job = [&] {
    auto job = worker.next([](const ws::Message& m) { return m.type == "job.fetch"; }, 20s);
    REQUIRE(job);
    worker.send("heartbeat", {{"v", 1}, {"id", "hb"}, {"worker", "malformed"}});
    return *job;
  };
  auto expect_refusal = [&](const std::string& naming) {
    auto ack = worker.next([](const ws::Message& m) { return m.type == "ack"; });
    REQUIRE(ack);
    CHECK_THAT(ack->body.at("error").get<std::string>(), Catch::Contains(naming));
  };
  auto answer = [&](const ws::Message& job, const std::string& type, json fields) {
    fields["v"] = 1;
    fields["id"] = "answer-" + std::to_string(job.body.at("attempt").get<int>());
    fields["job"] = job.body.at("job");
    fields["attempt"] = job.body.at("attempt");
    worker.send(type, fields);
  };
  ready("fetch");
  auto import = folder.spawn(watchstate_binary(), {"state:import", "--output", "json"}, "import");
  ws::Message job = next_job();
  CHECK(job.body.at("kind") == "plan");
  answer(job, "job.done", {{"result", {{"libraries", "lots"}}}});
  expect_refusal("'libraries' must be a list");
  job = next_job();
  CHECK(job.body.at("attempt") == 2);
  answer(job, "job.done", {{"result", "not a map"}});
  expect_refusal("'result' must be a map");
  job = next_job();
  answer(job, "job.done", {{"result", {{"libraries", {{{"id", "1"}, {"total", -3}}}}}}});
  expect_refusal("'total' is out of range");
  job = next_job();
  answer(job, "batch.items", {{"seq", 0}, {"items", 7}});  // drops this worker: it says ready again
  expect_refusal("'items' must be a list");
  ready("fetch");
  job = next_job();
  answer(job, "job.failed", {{"error", 500}, {"retryable", "sometimes"}});
  expect_refusal("'error' must be a string");
  job = next_job();
  CHECK(job.body.at("attempt") == 6);
  ready("export");  // gives the job back (a restart) and takes no fetch job again
  auto fetcher = folder.spawn(fetcher_binary(), {"--name", "fetcher-late", "-vv"}, "fetcher-late");

  const auto finished = import.wait(60s);
  INFO(import.tail() << "\n" << fetcher.tail());
  REQUIRE_LOGGED(stack, finished == 0);
  const json reply = json::parse(import.out());
  const json& plex = reply.at("summary").at("servers").at("plex");
  CHECK(plex.at("errors").empty());
  CHECK(plex.at("fetched").get<int>() > 100);
  CHECK(plex.at("fetched") == plex.at("total"));

  // And an import after all that, as a user runs it.
  auto again = folder.watchstate({"state:import", "--output", "json"});
  INFO(again.describe());
  CHECK(again.exit_code == 0);
  REQUIRE_LOGGED(stack, stack.reconciler().running());
  const std::string log = stack.reconciler().err();
  CHECK_THAT(log, Catch::Contains("refused"));
  CHECK_THAT(log, Catch::Contains("workers endpoint: 1 connection(s) closed"));
  CHECK_THAT(log, !Catch::Contains("internal error"));
  fetcher.stop();
  for (const auto& problem : stack.stop()) FAIL_CHECK(problem);
}

TEST_CASE("an export with no exporter connected fails within jobs.queue_timeout, naming what is missing",
          "[e2e][queue_timeout]") {
  auto fakes = FakeSet::start({{"plex", "plex", {"--state-seed", "1", "--watched", "30"}},
                               {"jf1", "jellyfin", {"--state-seed", "2", "--watched", "30"}}},
                              small_catalog());
  DataFolder folder("no-exporter");
  folder.write_servers(fakes.servers());
  constexpr int kQueueTimeout = 2;
  folder.write_config("jobs:\n  queue_timeout: " + std::to_string(kQueueTimeout) + "s\n");
  Stack stack(folder, 1, 0);  // a fetcher, no exporter

  const auto started = Clock::now();
  auto r = folder.watchstate({"state:export"}, 60s);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  INFO(r.describe());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out + r.err, Catch::Contains("no ws-exporter is connected for server jf1"));
  CHECK_THAT(r.err, Catch::Contains("waiting for a ws-exporter for"));
  CHECK(took < std::chrono::seconds(kQueueTimeout + 5));
  REQUIRE_LOGGED(stack, stack.reconciler().running());

  // The reconciler goes on serving: a later request is not stuck behind the failed one.
  auto import = folder.watchstate({"state:import", "--output", "json"});
  INFO(import.describe());
  CHECK(import.exit_code == 0);
  for (const auto& problem : stack.stop()) FAIL_CHECK(problem);
}
