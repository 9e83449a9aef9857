// The shared reference fixtures (DESIGN §11, recorded server answers and webhooks), read in place
// and never copied into the project: `../shared/fixtures` beside the repository (CI clones the
// repository next to `shared/`; WS_FIXTURES_DIR, set by CMake), or the folder the environment
// variable WS_FIXTURES_DIR names (a checkout elsewhere, e.g. a git worktree).
//
// A test that reads them skips only when the folder is absent, and says so with WARN and
// kFixturesAbsent: ctest reports such a test as skipped (SKIP_REGULAR_EXPRESSION), not passed.
#pragma once

#include <cstdlib>
#include <filesystem>

namespace ws::testing {

inline constexpr const char* kFixturesAbsent = "fixtures absent, test skipped: ";

inline std::filesystem::path fixtures_dir() {
  if (const char* env = std::getenv("WS_FIXTURES_DIR"); env != nullptr && *env != '\0') return env;
  return WS_FIXTURES_DIR;
}

}  // namespace ws::testing
