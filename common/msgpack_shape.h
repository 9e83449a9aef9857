// Checks that bytes are exactly one well-formed MessagePack value nested no deeper than a limit,
// without recursing and without allocating per element, so that a hostile body can be refused
// before it reaches a decoder that recurses once per level (nlohmann's does: 200,000 nested
// arrays overflow the stack). Internal to ws_common: the message codec (message.cpp) and the item
// codec (media_item_msgpack.cpp).
#pragma once

#include <cstddef>
#include <string_view>

#include "ws/result.h"

namespace ws {

// The length of the one well-formed MessagePack value that `bytes` start with (bytes after it are
// not looked at), checked as check_msgpack_shape checks; otherwise its error. Lets a decoder step
// over a value it does not read, and cut one field's bytes out of a message.
Result<size_t> msgpack_value_size(std::string_view bytes, int max_depth);

// Ok when `bytes` hold one complete MessagePack value with nothing after it, no container nested
// deeper than `max_depth` (a top-level map is depth 1), and no element count or length larger than
// the bytes left could hold. Otherwise an invalid_input error whose sentence says what is wrong and
// at which byte offset.
Result<Ok> check_msgpack_shape(std::string_view bytes, int max_depth);

}  // namespace ws
