// Logs the connections a reconciler ROUTER loses, through a ZeroMQ socket monitor. libzmq drops a
// peer that sends a frame over ZMQ_MAXMSGSIZE (config endpoints.max_message) together with its
// connection and tells the application nothing else, so this line is the only trace of it
// (docs/protocol.md "Limits"). A monitor cannot tell that from a peer that simply closed its
// socket, so the line says both; workers and ingest stay connected for long, so on their
// endpoints it is logged at info (at most once a minute), while CLI connections come and go with
// every command, so on the control endpoint it is logged at debug.
//
// Not thread-safe: on the thread of the socket it watches.
#pragma once

#include <chrono>
#include <string>

#include <spdlog/common.h>
#include <zmq.hpp>

namespace ws {

class DisconnectLog {
 public:
  // Starts monitoring `watched` (call before it binds). `endpoint` names it in log lines.
  DisconnectLog(zmq::context_t& context, zmq::socket_t& watched, std::string endpoint, size_t max_message,
                spdlog::level::level_enum level);
  ~DisconnectLog();
  DisconnectLog(const DisconnectLog&) = delete;
  DisconnectLog& operator=(const DisconnectLog&) = delete;

  // The monitor's socket, to poll beside the watched one (ZMQ_POLLIN).
  zmq::socket_t& events() { return monitor_; }
  // Reads the monitor's events without blocking and logs the disconnections. Returns how many.
  int drain();

 private:
  zmq::socket_t& watched_;
  zmq::socket_t monitor_;
  std::string endpoint_;
  size_t max_message_;
  spdlog::level::level_enum level_;
  std::chrono::steady_clock::time_point last_logged_{};
  int held_back_ = 0;
};

}  // namespace ws
