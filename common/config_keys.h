// Internal to common/: the table of config.yaml keys. One entry per key carries its WS_*
// variable, its default and range (for docs and messages) and the setter used by both the YAML
// reader and the environment overrides, so the two can never disagree.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ws/config.h"

namespace ws::config_keys {

struct KeySpec {
  ConfigKeyDoc doc;
  // Sets the value from its text form. Returns why it was refused, "" when accepted. The reason
  // never quotes the value of a secret key.
  std::function<std::string(AppConfig&, std::string_view)> set;
};

const std::vector<KeySpec>& all();
const KeySpec* find(std::string_view key);
// True when `key` is a parent of some key ("webhook", "export", "mapper.import").
bool is_section(std::string_view key);

// "WS_" + the key in uppercase with dots as underscores.
std::string env_name(std::string_view key);
using ws::format_duration;

// The seed's key that is read and ignored (LMDB makes its choice unnecessary).
inline constexpr std::string_view kIgnoredMapperType = "mapper.import.type";

}  // namespace ws::config_keys
