#include "ws/message.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <random>

#include "msgpack_shape.h"

namespace ws {
namespace {

constexpr std::array<std::string_view, 12> kKnownTypes{
    "job.fetch", "job.export", "batch.items", "job.done",    "job.failed",  "event.webhook",
    "ack",       "worker.ready", "heartbeat", "ctl.request", "ctl.progress", "ctl.reply"};

// Message ids: a random per-process prefix and a counter, so ids from two processes never
// collide and an id never repeats within one.
std::string next_message_id() {
  static const std::string prefix = [] {
    std::random_device rd;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
    return std::string(buf);
  }();
  static std::atomic<uint64_t> counter{0};
  return prefix + "-" + std::to_string(++counter);
}

}  // namespace

bool is_known_message_type(std::string_view type) {
  return std::find(kKnownTypes.begin(), kKnownTypes.end(), type) != kKnownTypes.end();
}

void stamp_message(nlohmann::json& body) {
  if (!body.is_object()) body = nlohmann::json::object();
  if (!body.contains("v")) body["v"] = kMessageSchemaVersion;
  if (!body.contains("id")) body["id"] = next_message_id();
}

EncodedMessage encode_message(const Message& message) {
  EncodedMessage out;
  out.type_frame = message.type;
  const auto& given = message.body;
  if (given.is_object() && given.contains("v") && given.contains("id")) {
    nlohmann::json::to_msgpack(given, nlohmann::detail::output_adapter<char>(out.body_frame));
  } else {
    nlohmann::json body = given.is_object() ? given : nlohmann::json::object();
    stamp_message(body);
    nlohmann::json::to_msgpack(body, nlohmann::detail::output_adapter<char>(out.body_frame));
  }
  return out;
}

Result<Message> decode_message(std::string_view type_frame, std::string_view body_frame, const DecodeLimits& limits) {
  std::string type(type_frame.substr(0, 64));
  if (!is_known_message_type(type_frame)) {
    for (auto& c : type)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';  // log-safe
    return make_error(ErrorKind::invalid_input, "unknown message type '" + type + "'");
  }
  if (body_frame.size() > limits.max_bytes)
    return make_error(ErrorKind::invalid_input, type + ": body of " + std::to_string(body_frame.size()) +
                                                    " bytes is over the limit of " + std::to_string(limits.max_bytes) +
                                                    " (endpoints.max_message)");
  // The shape first: nlohmann's reader recurses once per nesting level.
  if (auto shape = check_msgpack_shape(body_frame, limits.max_depth); !shape)
    return make_error(ErrorKind::invalid_input, type + ": body is not a MessagePack object: " + shape.error().message);
  nlohmann::json body = nlohmann::json::from_msgpack(body_frame, true, false);
  if (body.is_discarded() || !body.is_object())
    return make_error(ErrorKind::invalid_input, type + ": body is not a MessagePack object");
  auto v = body.find("v");
  if (v == body.end() || !v->is_number_integer())
    return make_error(ErrorKind::invalid_input, type + ": body has no schema version 'v'");
  if (*v != kMessageSchemaVersion) {
    const std::string version = v->is_number_unsigned() ? std::to_string(v->get<uint64_t>())
                                                        : std::to_string(v->get<int64_t>());
    return make_error(ErrorKind::invalid_input, type + ": schema version " + version +
                                                    " is not supported (this build speaks " +
                                                    std::to_string(kMessageSchemaVersion) + ")");
  }
  auto id = body.find("id");
  if (id == body.end() || !id->is_string() || id->get_ref<const std::string&>().empty())
    return make_error(ErrorKind::invalid_input, type + ": body has no 'id'");
  return Message{std::move(type), std::move(body)};
}

std::string debug_text(const Message& message) {
  return message.type + " " + message.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ws
