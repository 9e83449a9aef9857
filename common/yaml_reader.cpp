#include "yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "ws/text.h"

namespace ws::yaml {

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

Where Where::child(const YAML::Node& key_node, const std::string& name) const {
  Where out{file, line_of(key_node), key.empty() ? name : key + "." + name};
  if (out.line == 0) out.line = line;
  return out;
}

std::string Where::prefix() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  if (!out.empty()) out += ": ";
  if (!key.empty()) out += key + ": ";
  return out;
}

Error invalid(const Where& at, const std::string& reason) {
  return make_error(ErrorKind::invalid_input, at.prefix() + reason);
}

Result<YAML::Node> parse_document(std::string_view text, const std::string& file) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    // e.msg is the bare reason; yaml-cpp's what() repeats the (0-based) position.
    Where at{file, e.mark.line >= 0 ? e.mark.line + 1 : 0, ""};
    return invalid(at, "YAML syntax error: " + e.msg);
  }
}

std::optional<bool> parse_bool(std::string_view text) {
  const std::string t = ascii_lower(trim(text));
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  return std::nullopt;
}

std::optional<int64_t> parse_int(std::string_view text) {
  const std::string t(trim(text));
  int64_t value = 0;
  const char* begin = t.data();
  const char* end = t.data() + t.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return value;
}

static Result<Ok> require_scalar(const YAML::Node& node, const Where& at) {
  if (node.IsMap()) return invalid(at, "expected a single value, found a map");
  if (node.IsSequence()) return invalid(at, "expected a single value, found a list");
  return Ok{};
}

Result<std::optional<std::string>> read_string(const YAML::Node& node, const Where& at) {
  if (!node.IsDefined() || node.IsNull()) return std::optional<std::string>{};
  if (auto ok = require_scalar(node, at); !ok) return ok.error();
  return std::optional<std::string>{node.Scalar()};
}

Result<std::optional<bool>> read_bool(const YAML::Node& node, const Where& at) {
  if (!node.IsDefined() || node.IsNull()) return std::optional<bool>{};
  if (auto ok = require_scalar(node, at); !ok) return ok.error();
  auto value = parse_bool(node.Scalar());
  if (!value) return invalid(at, "'" + node.Scalar() + "' is not a boolean (true or false)");
  return std::optional<bool>{*value};
}

Result<std::optional<int64_t>> read_int(const YAML::Node& node, const Where& at, int64_t min, int64_t max) {
  if (!node.IsDefined() || node.IsNull()) return std::optional<int64_t>{};
  if (auto ok = require_scalar(node, at); !ok) return ok.error();
  auto value = parse_int(node.Scalar());
  if (!value) return invalid(at, "'" + node.Scalar() + "' is not a whole number");
  if (*value < min || *value > max) {
    return invalid(at, std::to_string(*value) + " is out of range " + std::to_string(min) + ".." + std::to_string(max));
  }
  return std::optional<int64_t>{*value};
}

}  // namespace ws::yaml
