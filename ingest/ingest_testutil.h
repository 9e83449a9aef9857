// Test helpers for ingest: waiting on a condition with a deadline, and a test
// double of the reconciler's events endpoint — a real ZeroMQ ROUTER on its own thread that
// answers every event.webhook the way the test asks (ack, refuse, or keep quiet) and every
// heartbeat with a heartbeat (docs/protocol.md "Events").
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "config_test_util.h"
#include "ws/protocol.h"
#include "ws/zmq_channel.h"

namespace ws::testing {

// A temp folder removed at the end (`.path`).
using ws::testing::TempDir;

// Polls `condition` every few milliseconds until it holds (true) or `timeout` passed (false).
inline bool wait_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

class ReconcilerDouble {
 public:
  enum class Mode {
    ack,           // ack {ok: true} every event
    refuse_retry,  // ack {ok: false, retry: true}
    refuse_final,  // ack {ok: false, retry: false}
    hold,          // take events, answer nothing about them (heartbeats still answered)
    busy,          // read nothing: messages wait in the socket until another mode reads them
  };

  // Binds `endpoint` ("tcp://127.0.0.1:*" picks a free port).
  explicit ReconcilerDouble(zmq::context_t& context, const std::string& endpoint = "tcp://127.0.0.1:*",
                            Mode mode = Mode::ack)
      : mode_(mode) {
    socket_ = std::make_unique<zmq::socket_t>(context, zmq::socket_type::router);
    socket_->set(zmq::sockopt::linger, 0);
    // A port just closed by another socket of this process may still be held for a moment by
    // ZeroMQ's I/O thread: a restarted reconciler retries its bind the same way.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      try {
        socket_->bind(endpoint);
        break;
      } catch (const zmq::error_t& e) {
        if (e.num() != EADDRINUSE || std::chrono::steady_clock::now() > deadline) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    endpoint_ = socket_->get(zmq::sockopt::last_endpoint);
    // Its own id prefix, as a separate reconciler process would have (docs/protocol.md: the
    // forwarder sees a restart in a new prefix).
    static std::atomic<int> doubles{0};
    prefix_ = "double" + std::to_string(++doubles) + "x" + std::to_string(::getpid());
    thread_ = std::thread([this] { loop(); });
  }
  ~ReconcilerDouble() {
    stop_ = true;
    thread_.join();
  }
  ReconcilerDouble(const ReconcilerDouble&) = delete;
  ReconcilerDouble& operator=(const ReconcilerDouble&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  void set_mode(Mode mode) { mode_ = mode; }
  // Off: heartbeats are taken and never answered (a reconciler that only answers events).
  void answer_heartbeats(bool on) { answer_heartbeats_ = on; }

  // Bodies of every event.webhook received, in order (resends included).
  std::vector<nlohmann::json> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  size_t event_count() const {
    std::lock_guard lock(mu_);
    return events_.size();
  }
  size_t heartbeats() const { return heartbeats_.load(); }
  // What its heartbeats say about the store ({ok, error}); null = nothing.
  void set_store_health(nlohmann::json store) {
    std::lock_guard lock(mu_);
    store_ = std::move(store);
  }

 private:
  void loop() {
    while (!stop_) {
      if (mode_.load() == Mode::busy) {  // not reading: poll would report the waiting messages at once
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(5));
      while (mode_.load() != Mode::busy) {
        auto env = receive_message(*socket_, true);
        if (!env) break;
        if (!env->message) continue;
        const Message& m = *env->message;
        const Mode mode = mode_.load();
        if (m.type == protocol::kHeartbeat) {
          ++heartbeats_;
          if (!answer_heartbeats_) continue;
          nlohmann::json beat = {{"id", next_id()}};
          if (auto store = store_health(); !store.is_null()) beat["store"] = store;
          send_message(*socket_, Message{std::string(protocol::kHeartbeat), beat}, env->peer);
          continue;
        }
        if (m.type != protocol::kEventWebhook) continue;
        record(m.body);
        if (mode == Mode::hold) continue;
        nlohmann::json ack = {{"id", next_id()},
                              {"ref", m.body.value("id", "")},
                              {"spool_id", m.body.value("spool_id", uint64_t(0))}};
        ack["ok"] = mode == Mode::ack;
        if (mode != Mode::ack) {
          ack["retry"] = mode == Mode::refuse_retry;
          ack["error"] = mode == Mode::refuse_retry ? "the one-item fetch failed" : "no such server";
        }
        send_message(*socket_, Message{std::string(protocol::kAck), ack}, env->peer);
      }
    }
  }
  nlohmann::json store_health() const {
    std::lock_guard lock(mu_);
    return store_;
  }
  std::string next_id() { return prefix_ + "-" + std::to_string(++sent_); }
  void record(const nlohmann::json& body) {
    std::lock_guard lock(mu_);
    events_.push_back(body);
  }

  std::unique_ptr<zmq::socket_t> socket_;
  std::string endpoint_;
  std::string prefix_;
  uint64_t sent_ = 0;
  std::atomic<Mode> mode_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> heartbeats_{0};
  std::atomic<bool> answer_heartbeats_{true};
  mutable std::mutex mu_;
  std::vector<nlohmann::json> events_;
  nlohmann::json store_;
  std::thread thread_;
};

}  // namespace ws::testing
