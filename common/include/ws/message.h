// Messages between processes (DESIGN §3, docs/protocol.md): ZeroMQ multipart, frame 1 the type,
// frame 2 the body as MessagePack. Every body carries `v` (schema version) and `id`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "ws/protocol.h"
#include "ws/result.h"

namespace ws {

// Bumped when a message's fields change incompatibly; a peer refuses other versions.
inline constexpr int kMessageSchemaVersion = 1;

struct Message {
  Message() = default;
  Message(std::string type_, nlohmann::json body_ = {}, std::string items_msgpack_ = {})
      : type(std::move(type_)), body(std::move(body_)), items_msgpack(std::move(items_msgpack_)) {}

  std::string type;     // e.g. "job.fetch"
  nlohmann::json body;  // an object; `v` and `id` are set by encode if missing
  // batch.items only: the `items` field already as MessagePack (an array of item maps,
  // media_item_msgpack.h), kept out of `body` so that the items never pass through a DOM. A
  // sender fills it (body then has no `items`); decode_message fills it from a batch.items body
  // whose `items` is an array, and leaves it empty otherwise.
  std::string items_msgpack;
};

struct EncodedMessage {
  std::string type_frame;
  std::string body_frame;  // MessagePack
};

// True for the types listed in docs/protocol.md.
bool is_known_message_type(std::string_view type);

// Adds the schema version `v` and a fresh `id` to an object body that lacks them (what
// encode_message does otherwise, on a copy: a sender of large bodies stamps them first).
void stamp_message(nlohmann::json& body);

// The body frame is the MessagePack of `body` (keys sorted); `items_msgpack`, when set, goes in
// as the `items` field at its sorted place: the same bytes as a body holding the items.
EncodedMessage encode_message(const Message& message);

// What decode_message accepts at most (docs/protocol.md "Limits").
struct DecodeLimits {
  size_t max_bytes = protocol::kDefaultMaxMessage;  // config.yaml endpoints.max_message
  int max_depth = protocol::kMaxMessageDepth;
};

// Refuses unknown types, a body over `limits.max_bytes`, bodies that are not exactly one
// MessagePack object nested at most `limits.max_depth` deep (checked before any recursive
// decoding), a missing or different `v`, and a missing `id`, each with a sentence that starts
// with the type (when it is a known one) and says what was wrong. Never throws on any input.
// A batch.items body's `items` array is cut out into `items_msgpack` undecoded (read it with
// read_items_msgpack); the rest becomes `body`.
Result<Message> decode_message(std::string_view type_frame, std::string_view body_frame,
                               const DecodeLimits& limits = {});

// JSON text of a message for `--debug` dumps and logs.
std::string debug_text(const Message& message);

}  // namespace ws
