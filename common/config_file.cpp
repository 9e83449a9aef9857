// config.yaml (DESIGN §6) and its WS_* environment overrides. Both go through the key table in
// config_keys.cpp; this file only walks the YAML tree and the environment.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config_keys.h"
#include "ws/logging.h"
#include "yaml_reader.h"

namespace ws {
namespace {

using yaml::Where;

Result<Ok> walk(const YAML::Node& map, const Where& at, ConfigFile& out) {
  for (const auto& kv : map) {
    const std::string name = kv.first.Scalar();
    const Where here = at.child(kv.first, name);
    const YAML::Node& value = kv.second;
    if (const auto* spec = config_keys::find(here.key)) {
      if (value.IsNull()) continue;  // `key:` with nothing: keep the default
      if (!value.IsScalar()) {
        return yaml::invalid(here, std::string("expected a single value, found a ") + (value.IsMap() ? "map" : "list"));
      }
      std::string reason = spec->set(out.config, value.Scalar());
      if (!reason.empty()) return yaml::invalid(here, reason);
    } else if (here.key == config_keys::kIgnoredMapperType) {
      out.warnings.push_back({here.prefix() +
                              "accepted and ignored: LMDB makes the choice between a fast and a lean mapper unnecessary"});
    } else if (config_keys::is_section(here.key)) {
      if (value.IsNull()) continue;
      if (!value.IsMap()) return yaml::invalid(here, "expected a map of settings");
      if (auto ok = walk(value, here, out); !ok) return ok;
    } else {
      out.warnings.push_back({here.prefix() + "unknown key, ignored"});
    }
  }
  return Ok{};
}

}  // namespace

Result<ConfigFile> parse_config(std::string_view yaml_text, const std::string& file_name) {
  auto doc = yaml::parse_document(yaml_text, file_name);
  if (!doc) return doc.error();
  ConfigFile out;
  const YAML::Node& root = *doc;
  if (root.IsNull()) return out;
  const Where file_at{file_name, yaml::line_of(root), ""};
  if (!root.IsMap()) return yaml::invalid(file_at, "expected a map of settings");
  if (auto ok = walk(root, file_at, out); !ok) return ok.error();
  return out;
}

Result<Ok> apply_env_overrides(ConfigFile& config, const EnvLookup& getenv) {
  for (const auto& spec : config_keys::all()) {
    const char* value = getenv(spec.doc.env.c_str());
    if (!value) continue;
    std::string reason = spec.set(config.config, value);
    if (!reason.empty()) {
      return make_error(ErrorKind::invalid_input, "environment " + spec.doc.env + " (" + spec.doc.key + "): " + reason);
    }
  }
  return Ok{};
}

Result<ConfigFile> load_config(const std::filesystem::path& file) {
  ConfigFile out;
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return make_error(ErrorKind::io, file.string() + ": cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = parse_config(text.str(), file.string());
    if (!parsed) return parsed.error();
    out = std::move(parsed).value();
    if (auto exposed = exposed_file_warning(file)) out.warnings.insert(out.warnings.begin(), *exposed);
  }
  if (auto ok = apply_env_overrides(out, [](const char* name) { return std::getenv(name); }); !ok) return ok.error();
  add_log_secrets(secrets_of(out.config));
  return out;
}

}  // namespace ws
