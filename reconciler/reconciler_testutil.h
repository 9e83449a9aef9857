// Helpers of the reconciler tests that run it whole in this process: the reconciler on inproc
// endpoints over a real store in a temp folder with a pinned unix clock, and DEALER peers in the
// test thread playing the CLI, the workers and ingest.
#pragma once

#include <atomic>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "store_testutil.h"
#include "ws/protocol.h"
#include "ws/reconciler.h"
#include "ws/zmq_channel.h"

namespace ws::testutil {

using namespace std::chrono_literals;
using json = nlohmann::json;

inline std::string unique_name() {
  static std::atomic<int> counter{0};
  return "reconciler-test-" + std::to_string(++counter);
}

// One DEALER peer in the test thread.
struct Peer {
  zmq::socket_t socket;
  Peer(zmq::context_t& context, const std::string& endpoint) : socket(context, zmq::socket_type::dealer) {
    ws::configure_socket(socket, ws::protocol::kDefaultMaxMessage);
    socket.connect(endpoint);
  }
  void send(const std::string& type, json body) { REQUIRE(ws::send_message(socket, Message{type, std::move(body)})); }
  // The next message that `want` accepts (others skipped), within `limit`.
  std::optional<Message> next(const std::function<bool(const Message&)>& want, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 50ms);
      while (auto env = ws::receive_message(socket, false)) {
        REQUIRE(env->message);
        if (want(*env->message)) return env->message.value();
      }
    }
    return std::nullopt;
  }
  std::optional<Message> next_of(const std::string& type, std::chrono::milliseconds limit = 5s) {
    return next([&](const Message& m) { return m.type == type; }, limit);
  }
};

struct RunningReconciler {
  TempDir dir;
  zmq::context_t context;
  std::atomic<int64_t> clock{1'000'000};
  ws::ReconcilerOptions options;
  std::unique_ptr<ws::Reconciler> reconciler;
  std::thread thread;

  explicit RunningReconciler(const std::string& servers_yaml) {
    options.paths.root = dir.path();
    std::filesystem::create_directories(options.paths.config_dir());
    std::ofstream(options.paths.servers_file()) << servers_yaml;
    const std::string name = unique_name();
    options.config.endpoints.workers = "inproc://" + name + "-workers";
    options.config.endpoints.control = "inproc://" + name + "-control";
    options.config.endpoints.events = "inproc://" + name + "-events";
    options.now = [this] { return clock.load(); };
  }
  void start() {
    auto created = ws::Reconciler::create(context, options);
    if (!created) FAIL(created.error().message);
    reconciler = std::move(created.value());
    thread = std::thread([this] { reconciler->run(); });
  }
  ~RunningReconciler() {
    if (reconciler) reconciler->stop();
    if (thread.joinable()) thread.join();
    reconciler.reset();  // its sockets close before the context
  }
  Peer control() { return Peer(context, options.config.endpoints.control); }
  Peer worker() { return Peer(context, options.config.endpoints.workers); }
  Peer events() { return Peer(context, options.config.endpoints.events); }
  // Stops the reconciler and opens its store, to read what it committed.
  std::unique_ptr<Store> stop_and_open_store() {
    reconciler->stop();
    thread.join();
    reconciler.reset();
    return open_writer(dir.db());
  }

  // One status round trip.
  json status(Peer& cli) {
    const std::string id = "status-" + std::to_string(++requests_);
    cli.send("ctl.request", {{"id", id}, {"command", "status"}});
    auto reply = cli.next([&](const Message& m) { return m.type == "ctl.reply" && m.body.value("ref", "") == id; });
    REQUIRE(reply);
    return reply->body.at("summary");
  }
  int requests_ = 0;
};

}  // namespace ws::testutil
