// Test helpers for the job workers (ws-fetcher, ws-exporter as libraries): the test plays the
// reconciler's broker on a ROUTER over inproc://, and runs the worker on a thread of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "ws/protocol.h"
#include "ws/zmq_channel.h"

namespace ws::testing {

// The test's broker: a ROUTER bound on inproc, heartbeating the worker while it waits so the
// worker never gives up on it. One test thread uses it.
struct TestBroker {
  zmq::socket_t router;
  std::string endpoint;
  std::string peer;  // the worker, once it said ready

  explicit TestBroker(zmq::context_t& ctx) : router(ctx, zmq::socket_type::router) {
    static std::atomic<int> n{0};
    endpoint = "inproc://worker-test-broker-" + std::to_string(n.fetch_add(1));
    router.set(zmq::sockopt::linger, 0);
    router.bind(endpoint);
  }

  // The next message other than a heartbeat, or nullopt when none came in time.
  std::optional<Message> next(std::chrono::milliseconds within = std::chrono::milliseconds(20000)) {
    using Clock = std::chrono::steady_clock;
    const auto until = Clock::now() + within;
    auto next_heartbeat = Clock::now();
    while (Clock::now() < until) {
      if (!peer.empty() && Clock::now() >= next_heartbeat) {
        send_message(router, Message{std::string(protocol::kHeartbeat), nlohmann::json::object()}, peer);
        next_heartbeat = Clock::now() + std::chrono::milliseconds(200);
      }
      zmq::pollitem_t items[] = {{static_cast<void*>(router), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 1, std::chrono::milliseconds(50));
      if (auto env = receive_message(router, true)) {
        if (!env->message) continue;
        if (env->message->type == protocol::kHeartbeat) continue;
        if (env->message->type == protocol::kWorkerReady) peer = env->peer;
        return std::move(*env->message);
      }
    }
    return std::nullopt;
  }

  // The next message of `type`; others in between are skipped.
  std::optional<Message> expect(std::string_view type,
                                std::chrono::milliseconds within = std::chrono::milliseconds(20000)) {
    using Clock = std::chrono::steady_clock;
    const auto until = Clock::now() + within;
    while (Clock::now() < until) {
      auto message = next(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
      if (message && message->type == type) return message;
    }
    return std::nullopt;
  }

  void send(std::string_view type, nlohmann::json body) {
    REQUIRE(send_message(router, Message{std::string(type), std::move(body)}, peer));
  }
};

// Runs a worker (Fetcher or Exporter) on a thread; stops and joins it on destruction.
template <typename Worker>
struct Running {
  Worker& worker;
  std::future<void> done;
  explicit Running(Worker& w) : worker(w), done(std::async(std::launch::async, [&w] { w.run(); })) {}
  ~Running() {
    worker.stop();
    done.wait();
  }
};

}  // namespace ws::testing
