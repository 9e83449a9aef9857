// The libFuzzer entry point of one target; WS_FUZZ_TARGET (set by CMakeLists.txt) names it.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ws::fuzz::Target* target = [] {
    const auto* found = ws::fuzz::find_target(WS_FUZZ_TARGET);
    if (!found) {
      std::fprintf(stderr, "no fuzz target named %s\n", WS_FUZZ_TARGET);
      std::abort();
    }
    return found;
  }();
  target->run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
