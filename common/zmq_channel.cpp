#include "ws/zmq_channel.h"

#include <vector>

#include "ws/protocol.h"

namespace ws {

bool send_message(zmq::socket_t& socket, const Message& message, const std::string& peer) {
  auto encoded = encode_message(message);
  try {
    if (!peer.empty() && !socket.send(zmq::buffer(peer), zmq::send_flags::sndmore | zmq::send_flags::dontwait))
      return false;
    if (!socket.send(zmq::buffer(encoded.type_frame), zmq::send_flags::sndmore | zmq::send_flags::dontwait))
      return false;
    return socket.send(zmq::buffer(encoded.body_frame), zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t&) {
    return false;  // EHOSTUNREACH with ROUTER_MANDATORY: the peer is gone
  }
}

std::optional<Envelope> receive_message(zmq::socket_t& socket, bool router) {
  std::vector<zmq::message_t> frames;
  zmq::message_t frame;
  if (!socket.recv(frame, zmq::recv_flags::dontwait)) return std::nullopt;
  frames.push_back(std::move(frame));
  while (frames.back().more()) {
    zmq::message_t next;
    (void)socket.recv(next);  // the rest of a multipart message is already here
    frames.push_back(std::move(next));
  }
  Envelope env;
  size_t first = 0;
  if (router) {
    env.peer = frames[0].to_string();
    first = 1;
  }
  if (frames.size() != first + 2) {
    env.message = make_error(ErrorKind::invalid_input,
                             "message has " + std::to_string(frames.size() - first) + " frames, expected 2");
    return env;
  }
  env.message = decode_message(frames[first].to_string_view(), frames[first + 1].to_string_view());
  return env;
}

void send_refusal(zmq::socket_t& socket, const std::string& peer, const std::string& ref,
                  const std::string& error, bool fatal) {
  send_message(socket,
               Message{std::string(protocol::kAck), {{"ref", ref}, {"ok", false}, {"error", error}, {"fatal", fatal}}},
               peer);
}

}  // namespace ws
