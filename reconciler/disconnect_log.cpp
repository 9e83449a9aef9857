#include "ws/disconnect_log.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace ws {
namespace {

constexpr auto kInterval = std::chrono::minutes(1);  // info lines, at most one this often

std::string monitor_address() {
  static std::atomic<uint64_t> counter{0};
  return "inproc://ws-disconnect-log-" + std::to_string(++counter);
}

}  // namespace

DisconnectLog::DisconnectLog(zmq::context_t& context, zmq::socket_t& watched, std::string endpoint,
                             size_t max_message, spdlog::level::level_enum level)
    : watched_(watched),
      monitor_(context, zmq::socket_type::pair),
      endpoint_(std::move(endpoint)),
      max_message_(max_message),
      level_(level) {
  const std::string address = monitor_address();
  if (zmq_socket_monitor(watched_.handle(), address.c_str(), ZMQ_EVENT_DISCONNECTED) != 0)
    throw zmq::error_t();
  monitor_.set(zmq::sockopt::linger, 0);
  monitor_.connect(address);
}

DisconnectLog::~DisconnectLog() { zmq_socket_monitor(watched_.handle(), nullptr, 0); }

int DisconnectLog::drain() {
  int disconnects = 0;
  zmq::message_t event;
  while (monitor_.recv(event, zmq::recv_flags::dontwait)) {
    uint16_t number = 0;
    if (event.size() >= sizeof number) std::memcpy(&number, event.data(), sizeof number);
    while (event.more()) {  // the endpoint frame
      zmq::message_t rest;
      (void)monitor_.recv(rest);
      event = std::move(rest);
    }
    if (number == ZMQ_EVENT_DISCONNECTED) ++disconnects;
  }
  if (disconnects == 0) return 0;
  const auto now = std::chrono::steady_clock::now();
  const std::string line = endpoint_ + " endpoint: " + std::to_string(disconnects) +
                           " connection(s) closed: the peer left, or sent a message over endpoints.max_message (" +
                           std::to_string(max_message_) + " bytes), which libzmq drops together with its connection";
  if (level_ != spdlog::level::info) {
    spdlog::log(level_, "{}", line);
  } else if (now - last_logged_ < kInterval) {
    held_back_ += disconnects;
    spdlog::debug("{}", line);
  } else {
    spdlog::info("{}{}", line,
                 held_back_ > 0 ? " (" + std::to_string(held_back_) + " more since the last such line)" : "");
    last_logged_ = now;
    held_back_ = 0;
  }
  return disconnects;
}

}  // namespace ws
