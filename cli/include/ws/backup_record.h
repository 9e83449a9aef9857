// One record of a state:backup file, checked field by field before it becomes a Record: a
// restore must refuse what the lenient JSON reader of Record would bend (a negative id becomes a
// huge one, a text where a number belongs throws a message that names no field).
#pragma once

#include <nlohmann/json.hpp>

#include "ws/record.h"
#include "ws/result.h"

namespace ws {

// The record, or an error naming the field and what is wrong with it, like
// "field 'metadata.my_plex.watched': expected true or false, found the text \"yes\"".
// Required: `id` (1..kMaxRecordId) and `type` (movie or episode). Absent or null fields take
// their defaults; unknown fields are ignored (a newer watchstate may add some).
Result<Record> record_from_backup(const nlohmann::json& j);

}  // namespace ws
