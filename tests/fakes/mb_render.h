// Jellyfin and Emby item shapes (BaseItemDto, UserItemDataDto): PascalCase names, dates in
// ISO-8601 with seven fraction digits, positions in ticks (ms x 10,000), null properties omitted
// (LastPlayedDate until played), ProviderIds values as strings. Jellyfin ids are 32 lowercase hex,
// Emby's numeric strings; Emby names TVmaze "Tv Maze".
#pragma once

#include "catalog.h"
#include "fake_options.h"
#include "fake_state.h"
#include "json_writer.h"

namespace ws::fake {

struct MbContext {
  const Catalog& catalog;
  const FakeState& state;
  const FakeOptions& options;
};

// REQUIRES (both): the state's read lock held by the caller.
void mb_item(JsonWriter& w, const MbContext& ctx, const Entry& e, bool user_data);
// "UserData":{…} of the item; of a movie or episode as `as_written` says when given (the answer to
// a write, which may have been ignored), else as the state has it.
void mb_user_data(JsonWriter& w, const MbContext& ctx, const Entry& e, const ItemState* as_written = nullptr);
void mb_provider_ids(JsonWriter& w, ServerType type, const ExternalIds& ids);
// The item's DateCreated, with a stable fraction so it looks like a real server's.
int64_t mb_created_ticks(const Entry& e, int64_t added_at);
const char* mb_type_name(EntryKind kind);

}  // namespace ws::fake
