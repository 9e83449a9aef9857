// The state:backup file: one JSON document, written and read as a stream so a backup of any size
// is never held whole in memory.
//
//   {"format":"watchstate-backup","version":1,"created_at":<unix seconds>,"records":[
//   {<record>},
//   {<record>}
//   ]}
//
// One record per line (Record's JSON form, common/record.cpp), in id order. A reader takes any
// JSON layout of the same document (keys in any order, any whitespace).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

#include "ws/record.h"
#include "ws/result.h"
#include "ws/store.h"

namespace ws {

inline constexpr const char* kBackupFormat = "watchstate-backup";
inline constexpr int kBackupVersion = 1;  // bumped when the shape changes incompatibly

// Writes every record of `store`; returns how many. The caller checks the stream.
uint64_t write_backup(const Store& store, std::ostream& out);

// Reads a backup from `in`, handing each record to `on_record` as soon as it is read and checked
// (record_from_backup). Stops at the first problem and returns it, naming `name` (the file), the
// record (its position from 1 and its id) and the field: a document that is not JSON or ends
// early, a record of the wrong shape, an error `on_record` returns. The header (format, version)
// may come before or after the records; it is checked before this returns success, so a caller
// must treat what it received as provisional until then. Returns the number of records.
Result<uint64_t> read_backup(std::istream& in, const std::string& name,
                             const std::function<Result<Ok>(Record)>& on_record);

}  // namespace ws
