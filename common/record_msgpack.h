// The record's MessagePack form (layout 1), written and read without a JSON DOM in between.
// Internal to ws_common: record.cpp's encode_record/decode_record are the interface.
//
// The bytes are exactly those nlohmann::json::to_msgpack writes for the record's JSON form
// (to_json in record.cpp): the same keys in the same (sorted) order, the same fields left out
// when they hold their default, the same smallest integer and string encodings. So the stored
// format does not change, and record_test checks the two writers agree byte for byte. A field
// added to the JSON form must be added here too (write and read): that test fails until it is.
#pragma once

#include <string>
#include <string_view>

#include "ws/record.h"

namespace ws::record_msgpack {

// Appends the record's MessagePack map to `out`.
void write(std::string& out, const Record& record);

// Reads what write() writes, and any other MessagePack of that shape (any integer width, nil for
// a field left out). Returns false on anything else (an unknown key, another type, floats,
// trailing bytes, truncation): the caller then decodes through the DOM, which decides.
bool read(std::string_view bytes, Record& record);

}  // namespace ws::record_msgpack
