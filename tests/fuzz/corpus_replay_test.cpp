// Replays every seed under corpus/<target>/ and every crash input under regressions/<target>/
// through its fuzz target, in the ordinary build: what libFuzzer once broke must keep passing
// without clang, and under `make test-asan` with the sanitizers' eyes on it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "fuzz_targets.h"

namespace fs = std::filesystem;

namespace {

const fs::path kFuzzDir = fs::path(WS_SOURCE_DIR) / "tests" / "fuzz";

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file()) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("every fuzz target has a libFuzzer program and a seed corpus", "[fuzz]") {
  // CMake's list builds the fuzz_<target> programs; the code's list is what runs. They must agree.
  std::set<std::string> from_cmake;
  std::stringstream names(WS_FUZZ_TARGET_NAMES);
  for (std::string name; std::getline(names, name, ',');) from_cmake.insert(name);
  std::set<std::string> from_code;
  for (const auto& target : ws::fuzz::all_targets()) {
    from_code.insert(std::string(target.name));
    INFO(target.name);
    CHECK(files_in(kFuzzDir / "corpus" / target.name).size() >= 3);
  }
  CHECK(from_cmake == from_code);
  // A corpus or regression folder must belong to a target, or its inputs would never be replayed.
  for (const char* kind : {"corpus", "regressions"}) {
    if (!fs::is_directory(kFuzzDir / kind)) continue;
    for (const auto& entry : fs::directory_iterator(kFuzzDir / kind)) {
      INFO(entry.path());
      CHECK(from_code.count(entry.path().filename().string()) == 1);
    }
  }
}

TEST_CASE("the seed corpora and stored crash inputs run through their targets", "[fuzz]") {
  size_t replayed = 0;
  for (const auto& target : ws::fuzz::all_targets()) {
    for (const char* kind : {"corpus", "regressions"}) {
      for (const auto& file : files_in(kFuzzDir / kind / target.name)) {
        INFO(file);
        // A target returns nothing: the check is that it returns at all, without an exception
        // (or, under ASan/UBSan, a report).
        CHECK_NOTHROW(target.run(read_bytes(file)));
        ++replayed;
      }
    }
  }
  CHECK(replayed >= 3 * ws::fuzz::all_targets().size());
}
