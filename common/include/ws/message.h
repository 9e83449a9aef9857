// Messages between processes (DESIGN §3, docs/protocol.md): ZeroMQ multipart, frame 1 the type,
// frame 2 the body as MessagePack. Every body carries `v` (schema version) and `id`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

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

EncodedMessage encode_message(const Message& message);

// Refuses unknown types, bodies that are not MessagePack objects, a missing or different `v`,
// and a missing `id`, each with a sentence naming what was wrong.
Result<Message> decode_message(std::string_view type_frame, std::string_view body_frame);

// JSON text of a message for `--debug` dumps and logs.
std::string debug_text(const Message& message);

}  // namespace ws
