// Test helpers: the hand-written responses in tests/data/backend/, and the shared fixtures folder
// (tests/fixtures_dir.h: callers skip, saying so, only when it is absent).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "fixtures_dir.h"

namespace ws::testing {

inline nlohmann::json load_test_json(const std::string& name) {
  const std::filesystem::path file = std::filesystem::path(WS_SOURCE_DIR) / "tests" / "data" / "backend" / name;
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

// The fixture file's JSON, or null when the fixtures folder is absent. A file missing from a
// folder that is there is a failure (thrown, naming it), not a skip.
inline nlohmann::json load_fixture_json(const std::string& relative) {
  const std::filesystem::path dir = fixtures_dir();
  if (!std::filesystem::is_directory(dir)) return nullptr;
  const std::filesystem::path file = dir / relative;
  std::ifstream in(file);
  if (!in) throw std::runtime_error("fixture " + file.string() + " cannot be read (the fixtures folder is there)");
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

}  // namespace ws::testing
