// The record's stored forms, written and read without a JSON DOM in between. Internal to
// ws_common: record.cpp's encode_record/decode_record are the interface.
//
// Layout 2 (written): a positional MessagePack array (field order in record_msgpack.cpp),
// trailing defaults left out, the id not repeated (it is the LMDB key), well-known guid sources
// as small numbers, and id-like texts in their smallest exact form (decimal numbers as integers,
// 32 lowercase hex digits as 16 bytes). A field added to Record goes at the end of its array.
//
// Layout 1 (read only, to migrate a store of schema version 1): the MessagePack of the record's
// JSON form as it was then, with each server's path, title and episode title, which are skipped.
#pragma once

#include <string>
#include <string_view>

#include "ws/record.h"

namespace ws::record_msgpack {

// Appends the record's layout-2 array to `out`.
void write(std::string& out, const Record& record);

// Reads what write() writes (any integer width that fits the field). Returns false on anything
// else: another type, an integer out of its field's range, a duplicate server or guid source,
// too many fields, trailing bytes, truncation. The id is left 0.
bool read(std::string_view bytes, Record& record);
// read() keeping of `metadata` only `*only_server`'s entry (null: every entry), the others read
// and checked as read() checks them (so it fails exactly when read() fails), then dropped. When
// `metadata_at` is not null it gets the offset of the metadata map in `bytes` (npos: the array
// ends before it), for read_metadata.
bool read(std::string_view bytes, Record& record, const std::string* only_server, size_t* metadata_at);
// Adds to record.metadata the entries of the metadata map at `offset` in `bytes` that it lacks
// (an entry already there stays). False on bytes read() would refuse.
bool read_metadata(std::string_view bytes, size_t offset, Record& record);

// Reads a layout-1 map as written by schema version 1 (any integer width, nil for a field left
// out). Returns false on anything else (an unknown key, another type, floats, trailing bytes,
// truncation): the caller then decodes through the DOM, which decides.
bool read_v1(std::string_view bytes, Record& record);

}  // namespace ws::record_msgpack
