#include "ws/message.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <random>

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

EncodedMessage encode_message(const Message& message) {
  nlohmann::json body = message.body.is_object() ? message.body : nlohmann::json::object();
  if (!body.contains("v")) body["v"] = kMessageSchemaVersion;
  if (!body.contains("id")) body["id"] = next_message_id();
  EncodedMessage out;
  out.type_frame = message.type;
  nlohmann::json::to_msgpack(body, nlohmann::detail::output_adapter<char>(out.body_frame));
  return out;
}

Result<Message> decode_message(std::string_view type_frame, std::string_view body_frame) {
  std::string type(type_frame);
  if (!is_known_message_type(type))
    return make_error(ErrorKind::invalid_input, "unknown message type '" + type.substr(0, 64) + "'");
  nlohmann::json body = nlohmann::json::from_msgpack(body_frame, true, false);
  if (body.is_discarded() || !body.is_object())
    return make_error(ErrorKind::invalid_input, type + ": body is not a MessagePack object");
  auto v = body.find("v");
  if (v == body.end() || !v->is_number_integer())
    return make_error(ErrorKind::invalid_input, type + ": body has no schema version 'v'");
  if (v->get<int>() != kMessageSchemaVersion)
    return make_error(ErrorKind::invalid_input, type + ": schema version " + std::to_string(v->get<int>()) +
                                                    " is not supported (this build speaks " +
                                                    std::to_string(kMessageSchemaVersion) + ")");
  auto id = body.find("id");
  if (id == body.end() || !id->is_string() || id->get_ref<const std::string&>().empty())
    return make_error(ErrorKind::invalid_input, type + ": body has no 'id'");
  return Message{std::move(type), std::move(body)};
}

std::string debug_text(const Message& message) {
  return message.type + " " + message.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ws
