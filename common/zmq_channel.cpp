#include "ws/zmq_channel.h"

#include <cstdio>
#include <vector>

#include "ws/protocol.h"

namespace ws {
namespace {

// A routing id, a type and a body: more frames than this are never kept.
constexpr size_t kMaxFramesKept = 3;

}  // namespace

void configure_socket(zmq::socket_t& socket, size_t max_message) {
  socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(max_message));
  socket.set(zmq::sockopt::linger, 0);
}

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
  size_t count = 1;
  bool more = frame.more();
  frames.push_back(std::move(frame));
  while (more) {
    zmq::message_t next;
    (void)socket.recv(next);  // the rest of a multipart message is already here
    ++count;
    more = next.more();
    if (frames.size() < kMaxFramesKept) frames.push_back(std::move(next));
  }
  Envelope env;
  size_t first = 0;
  if (router) {
    env.peer = frames[0].to_string();
    first = 1;
  }
  if (frames.size() > first) env.type = std::string(frames[first].to_string_view().substr(0, 64));
  if (count != first + 2) {
    env.message = make_error(ErrorKind::invalid_input,
                             "message has " + std::to_string(count - first) + " frames, expected 2");
    return env;
  }
  // libzmq enforces ZMQ_MAXMSGSIZE per frame over tcp and ipc only; over inproc this is the limit.
  DecodeLimits limits;
  const int64_t max_message = socket.get(zmq::sockopt::maxmsgsize);
  if (max_message >= 0) limits.max_bytes = static_cast<size_t>(max_message);
  env.message = decode_message(frames[first].to_string_view(), frames[first + 1].to_string_view(), limits);
  return env;
}

void send_refusal(zmq::socket_t& socket, const std::string& peer, const std::string& ref,
                  const std::string& error, bool fatal) {
  send_message(socket,
               Message{std::string(protocol::kAck), {{"ref", ref}, {"ok", false}, {"error", error}, {"fatal", fatal}}},
               peer);
}

std::string describe_peer(const std::string& routing_id) {
  std::string out = "peer ";
  char buf[3];
  for (size_t i = 0; i < routing_id.size() && i < 16; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(routing_id[i]));
    out += buf;
  }
  return out;
}

}  // namespace ws
