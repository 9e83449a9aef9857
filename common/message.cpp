#include "ws/message.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <random>
#include <stdexcept>
#include <vector>

#include "msgpack_io.h"
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

constexpr std::string_view kItemsKey = "items";

// A body map's pairs as byte ranges. The bytes are a well-formed map (check_msgpack_shape ran
// or we wrote them): measuring a value never fails.
struct Pair {
  std::string_view key;  // empty when the key is not a string
  std::string_view bytes;  // the key and its value
  std::string_view value;
};

bool map_pairs(std::string_view map, std::vector<Pair>& pairs) {
  msgpack::Reader in(map);
  size_t n = 0;
  if (!in.map(n)) return false;
  pairs.clear();
  for (size_t i = 0; i < n; ++i) {
    const size_t start = in.pos();
    Pair p;
    if (in.peek() >= 0xa0 && in.peek() <= 0xbf) {  // fixstr: every key we write
      (void)in.str(p.key);
    } else {
      auto key = msgpack_value_size(in.rest(), protocol::kMaxMessageDepth);
      if (!key || !in.skip(*key)) return false;
    }
    const size_t value_start = in.pos();
    auto value = msgpack_value_size(in.rest(), protocol::kMaxMessageDepth);
    if (!value || !in.skip(*value)) return false;
    p.value = map.substr(value_start, in.pos() - value_start);
    p.bytes = map.substr(start, in.pos() - start);
    pairs.push_back(p);
  }
  return true;
}

// Encodes `body` with `items` (already MessagePack) inserted at its sorted place among the keys.
void encode_with_items(const nlohmann::json& body, std::string_view items, std::string& out) {
  std::string plain;
  nlohmann::json::to_msgpack(body, nlohmann::detail::output_adapter<char>(plain));
  std::vector<Pair> pairs;
  if (!map_pairs(plain, pairs)) throw std::logic_error("encode_message: the body did not encode as a map");
  msgpack::Writer w(out);
  w.map(pairs.size() + 1);
  bool placed = false;
  auto place = [&] {
    w.str(kItemsKey);
    w.raw(items);
    placed = true;
  };
  for (const Pair& p : pairs) {
    if (!placed && p.key > kItemsKey) place();
    w.raw(p.bytes);
  }
  if (!placed) place();
}

// Cuts a batch.items body's `items` array out of the (shape-checked) body: `rest` gets the body
// without it. False when there is nothing to cut (no `items`, or not an array).
bool cut_items(std::string_view body, std::string& items, std::string& rest) {
  std::vector<Pair> pairs;
  if (!map_pairs(body, pairs)) return false;
  const Pair* found = nullptr;
  for (const Pair& p : pairs)
    if (p.key == kItemsKey) found = &p;  // the last one wins, as in the DOM
  if (!found) return false;
  const int t = static_cast<unsigned char>(found->value[0]);
  if (!((t >= 0x90 && t <= 0x9f) || t == 0xdc || t == 0xdd)) return false;
  items.assign(found->value);
  msgpack::Writer w(rest);
  size_t kept = 0;
  for (const Pair& p : pairs) kept += p.key != kItemsKey;
  w.map(kept);
  for (const Pair& p : pairs)
    if (p.key != kItemsKey) w.raw(p.bytes);
  return true;
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
  auto write = [&](const nlohmann::json& body) {
    if (message.items_msgpack.empty()) {
      nlohmann::json::to_msgpack(body, nlohmann::detail::output_adapter<char>(out.body_frame));
    } else {
      encode_with_items(body, message.items_msgpack, out.body_frame);
    }
  };
  if (given.is_object() && given.contains("v") && given.contains("id") &&
      (message.items_msgpack.empty() || !given.contains(kItemsKey))) {
    write(given);
  } else {
    nlohmann::json body = given.is_object() ? given : nlohmann::json::object();
    stamp_message(body);
    if (!message.items_msgpack.empty()) body.erase(std::string(kItemsKey));  // the raw list is the one sent
    write(body);
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
  std::string items, rest;
  const bool cut = type_frame == protocol::kBatchItems && cut_items(body_frame, items, rest);
  nlohmann::json body = nlohmann::json::from_msgpack(cut ? std::string_view(rest) : body_frame, true, false);
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
  return Message{std::move(type), std::move(body), std::move(items)};
}

std::string debug_text(const Message& message) {
  std::string text = message.type + " " + message.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (!message.items_msgpack.empty())
    text += " + items (" + std::to_string(message.items_msgpack.size()) + " bytes of MessagePack)";
  return text;
}

}  // namespace ws
