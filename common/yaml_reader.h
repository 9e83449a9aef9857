// Internal to common/: reading yaml-cpp nodes with errors that name the file, the line and the
// key (DESIGN §6). Used by servers_file.cpp and config_file.cpp only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "ws/result.h"

namespace ws::yaml {

// Where a value sits: the file, its 1-based line (0 = unknown) and the dotted key path.
struct Where {
  std::string file;
  int line = 0;
  std::string key;

  Where child(const YAML::Node& key_node, const std::string& name) const;
  // "file:line: key: " (parts that are unknown are left out).
  std::string prefix() const;
};

int line_of(const YAML::Node& node);  // 1-based, 0 when yaml-cpp has no mark

// Parses text into a node; a syntax error names the file and the line.
Result<YAML::Node> parse_document(std::string_view text, const std::string& file);

Error invalid(const Where& at, const std::string& reason);

// Scalar readers. A null node reads as nullopt (the seed writes `lastSync: null`). A map or a
// list where a single value belongs is an error. Secrets: pass secret=true and the value is
// never quoted in the error.
Result<std::optional<std::string>> read_string(const YAML::Node& node, const Where& at);
Result<std::optional<bool>> read_bool(const YAML::Node& node, const Where& at);
Result<std::optional<int64_t>> read_int(const YAML::Node& node, const Where& at, int64_t min, int64_t max);

// Text helpers shared with the WS_* overrides.
std::optional<bool> parse_bool(std::string_view text);
std::optional<int64_t> parse_int(std::string_view text);

}  // namespace ws::yaml
