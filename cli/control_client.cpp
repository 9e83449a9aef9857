#include "ws/control_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "ws/message_fields.h"
#include "ws/protocol.h"
#include "ws/zmq_channel.h"

namespace ws {

bool tcp_endpoint_refused(const std::string& endpoint) {
  constexpr std::string_view kTcp = "tcp://";
  if (endpoint.rfind(kTcp, 0) != 0) return false;
  auto rest = endpoint.substr(kTcp.size());
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = rest.substr(0, colon), port = rest.substr(colon + 1);
  if (host == "*") host = "127.0.0.1";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || !found) return false;
  int fd = ::socket(found->ai_family, SOCK_STREAM, 0);
  bool refused = false;
  if (fd >= 0) {
    refused = ::connect(fd, found->ai_addr, found->ai_addrlen) != 0 && errno == ECONNREFUSED;
    ::close(fd);
  }
  freeaddrinfo(found);
  return refused;
}

namespace {

// A ctl.progress the display can use: every field it reads has its type (or is absent).
bool readable_progress(const nlohmann::json& body) {
  MessageFields fields(std::string(protocol::kCtlProgress), body);
  (void)fields.string_or("server", "");
  (void)fields.string_or("phase", "");
  (void)fields.string_or("waiting", "");
  (void)fields.integer_or("done", 0, 0, INT64_MAX);
  (void)fields.integer_or("total", 0, 0, INT64_MAX);
  return fields.ok();
}

// A ctl.reply the CLI can print: `ok`, and `error` and `summary` of their types when present.
Result<Ok> check_reply(const nlohmann::json& body) {
  MessageFields fields(std::string(protocol::kCtlReply), body);
  fields.require("ok");
  (void)fields.boolean_or("ok", false);
  (void)fields.string_or("error", "");
  if (body.contains("summary") && !body.at("summary").is_null()) (void)fields.map("summary");
  if (!fields.ok()) return fields.as_error();
  return Ok{};
}

}  // namespace

Result<std::optional<CurveClientKeys>> control_curve_keys(const DataPaths& paths, const std::string& endpoint) {
  return curve_client_keys(endpoint, paths.keys_dir(), curve_role::kCli);
}

ControlClient::ControlClient(zmq::context_t& context, std::string endpoint, size_t max_message,
                             const std::optional<CurveClientKeys>& curve)
    : context_(context), endpoint_(std::move(endpoint)), socket_(context_, zmq::socket_type::dealer) {
  configure_socket(socket_, max_message);
  if (curve) apply_curve_client(socket_, *curve);
  socket_.connect(endpoint_);
}

bool ControlClient::answers(std::chrono::milliseconds timeout) {
  if (tcp_endpoint_refused(endpoint_)) return false;
  ControlRequest status;
  status.command = "status";
  auto reply = run(status, nullptr, timeout);
  return reply.ok();
}

Result<nlohmann::json> ControlClient::run(const ControlRequest& request,
                                          const std::function<void(const nlohmann::json&)>& on_progress,
                                          std::chrono::milliseconds silence) {
  Message msg{std::string(protocol::kCtlRequest), control_request_body(request)};
  auto encoded_id = std::to_string(reinterpret_cast<uintptr_t>(this)) + "-" +
                    std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  msg.body["id"] = encoded_id;
  if (!send_message(socket_, msg))
    return make_error(ErrorKind::unavailable, "cannot send to the reconciler at " + endpoint_);
  auto deadline = std::chrono::steady_clock::now() + silence;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return make_error(ErrorKind::unavailable, "the reconciler at " + endpoint_ + " stopped answering");
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 1, std::min(left, std::chrono::milliseconds(200)));
    while (auto env = receive_message(socket_, false)) {
      if (!env->message) continue;  // not ours to judge; the deadline covers a broken peer
      const auto& m = env->message.value();
      MessageFields fields(m.type, m.body);
      if (fields.string_or("ref", "") != encoded_id) continue;  // an earlier request's leftovers
      deadline = std::chrono::steady_clock::now() + silence;
      if (m.type == protocol::kCtlProgress) {
        if (on_progress && readable_progress(m.body)) on_progress(m.body);
      } else if (m.type == protocol::kCtlReply) {
        if (auto checked = check_reply(m.body); !checked)
          return make_error(ErrorKind::invalid_input, "the reconciler sent a malformed reply: " + checked.error().message);
        return m.body;
      } else if (m.type == protocol::kAck && !fields.boolean_or("ok", true)) {
        return make_error(ErrorKind::invalid_input,
                          "the reconciler refused the request: " + fields.string_or("error", "(no reason given)"));
      }
    }
  }
}

}  // namespace ws
