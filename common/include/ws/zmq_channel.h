// Sending and receiving protocol messages on ZeroMQ sockets (docs/protocol.md). A socket belongs
// to one thread; these functions keep no state.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "ws/message.h"
#include "ws/result.h"

namespace ws {

// A message as received: the peer's routing id (on a ROUTER), the type frame as it came (when
// there was one; it says whether a refusal may be answered: an `ack` never is), and the decoded
// message or why it could not be decoded.
struct Envelope {
  std::string peer;  // routing id; empty on DEALER sockets
  std::string type;  // frame 1 as received (at most 64 bytes); empty when the frames were malformed
  Result<Message> message = Error{};

  // Whether a refusal may be sent back: never to an ack, not even a malformed one, so that two
  // peers can never bounce refusals back and forth (docs/protocol.md "Errors").
  bool answerable() const { return type != protocol::kAck; }
};

// Sets the options every socket of the product carries: ZMQ_MAXMSGSIZE = `max_message` (libzmq
// then drops, with its connection, a peer that sends a larger frame over tcp or ipc; receive_message
// applies the same limit over inproc, where libzmq does not) and linger 0. Call before
// bind/connect.
void configure_socket(zmq::socket_t& socket, size_t max_message);

// Sends [peer][type][body] (peer only when non-empty, i.e. on a ROUTER). Returns false when the
// message could not be queued (ROUTER to an unknown peer with ROUTER_MANDATORY, or HWM reached
// with dontwait).
bool send_message(zmq::socket_t& socket, const Message& message, const std::string& peer = {});

// Receives one multipart message without blocking; nullopt when none is waiting. `router` says
// whether a routing-id frame comes first. Frames of a wrong shape (a count other than 2, more
// bytes than the socket's ZMQ_MAXMSGSIZE, a body decode_message refuses) give an Envelope with an
// error; frames beyond the few a message can have are read and dropped, never kept.
std::optional<Envelope> receive_message(zmq::socket_t& socket, bool router);

// Answers a refused message with `ack {ref, ok:false, error, fatal}` (docs/protocol.md "Errors").
void send_refusal(zmq::socket_t& socket, const std::string& peer, const std::string& ref,
                  const std::string& error, bool fatal);

// A routing id as log text: "peer " and up to 16 bytes in hex (ZeroMQ's default ids are binary).
std::string describe_peer(const std::string& routing_id);

}  // namespace ws
