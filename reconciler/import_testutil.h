// Helpers of the tests that import through apply_items.
#pragma once

#include <cstdint>

#include "ws/batch_applier.h"

namespace ws::testutil {

// The options of an import at `now` of a server last imported at `last_sync` (0: never).
inline ApplyOptions import_at(int64_t now, int64_t last_sync = 0) {
  ApplyOptions o;
  o.now = now;
  o.last_sync = last_sync;
  return o;
}

}  // namespace ws::testutil
