// Sending and receiving protocol messages on ZeroMQ sockets (docs/protocol.md). A socket belongs
// to one thread; these functions keep no state.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "ws/message.h"
#include "ws/result.h"

namespace ws {

// A message as received on a ROUTER: the peer's routing id, then the decoded message or why it
// could not be decoded (with the `id` of the refused message when it could be read).
struct Envelope {
  std::string peer;  // routing id; empty on DEALER sockets
  Result<Message> message = Error{};
};

// Sends [peer][type][body] (peer only when non-empty, i.e. on a ROUTER). Returns false when the
// message could not be queued (ROUTER to an unknown peer with ROUTER_MANDATORY, or HWM reached
// with dontwait).
bool send_message(zmq::socket_t& socket, const Message& message, const std::string& peer = {});

// Receives one multipart message without blocking; nullopt when none is waiting. `router` says
// whether a routing-id frame comes first. Frames of a wrong shape give an Envelope with an error.
std::optional<Envelope> receive_message(zmq::socket_t& socket, bool router);

// Answers a refused message with `ack {ref, ok:false, error, fatal}` (docs/protocol.md "Errors").
void send_refusal(zmq::socket_t& socket, const std::string& peer, const std::string& ref,
                  const std::string& error, bool fatal);

}  // namespace ws
