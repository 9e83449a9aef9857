// Test helpers: the hand-written responses in tests/data/backend/, and the shared fixtures folder
// (absent in CI: callers skip).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace ws::testing {

inline nlohmann::json load_test_json(const std::string& name) {
  const std::filesystem::path file = std::filesystem::path(WS_SOURCE_DIR) / "tests" / "data" / "backend" / name;
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

// The fixture file's JSON, or null when the fixtures folder is absent.
inline nlohmann::json load_fixture_json(const std::string& relative) {
  const std::filesystem::path file = std::filesystem::path(WS_FIXTURES_DIR) / relative;
  if (!std::filesystem::exists(file)) return nullptr;
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

}  // namespace ws::testing
