// Messages between processes (DESIGN §3, docs/protocol.md): ZeroMQ multipart, frame 1 the type,
// frame 2 the body as MessagePack. Every body carries `v` (schema version) and `id`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ws/protocol.h"
#include "ws/result.h"

namespace ws {

// Bumped when a message's fields change incompatibly; a peer refuses other versions.
inline constexpr int kMessageSchemaVersion = 1;

struct Message {
  std::string type;     // e.g. "job.fetch"
  nlohmann::json body;  // an object; `v` and `id` are set by encode if missing
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
Result<Message> decode_message(std::string_view type_frame, std::string_view body_frame,
                               const DecodeLimits& limits = {});

// JSON text of a message for `--debug` dumps and logs.
std::string debug_text(const Message& message);

}  // namespace ws
