// Checks that bytes are exactly one well-formed MessagePack value nested no deeper than a limit,
// without recursing and without allocating per element, so that a hostile body can be refused
// before it reaches a decoder that recurses once per level (nlohmann's does: 200,000 nested
// arrays overflow the stack). Internal to the message codec (message.cpp).
#pragma once

#include <string_view>

#include "ws/result.h"

namespace ws {

// Ok when `bytes` hold one complete MessagePack value with nothing after it, no container nested
// deeper than `max_depth` (a top-level map is depth 1), and no element count or length larger than
// the bytes left could hold. Otherwise an invalid_input error whose sentence says what is wrong and
// at which byte offset.
Result<Ok> check_msgpack_shape(std::string_view bytes, int max_depth);

}  // namespace ws
