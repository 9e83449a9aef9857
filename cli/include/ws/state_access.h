// How CLI commands look at the state: read-only, so they work while a reconciler holds the
// writer lock, and with "no state yet" as an answer rather than an error.
#pragma once

#include <memory>
#include <string>

#include "ws/result.h"
#include "ws/store.h"

namespace ws {

struct CliContext;
struct Record;

inline constexpr const char* kNoStateYet = "no state yet: run state:import";

// The store under <data>/db opened read-only; nullptr (not an error) when there is none yet.
Result<std::unique_ptr<Store>> open_state_read_only(const CliContext& ctx);

// "Title (2001)" for movies, "Series S01E02" for episodes.
std::string display_title(const Record& record);

}  // namespace ws
