#include "ws/cli_context.h"

#include <ostream>

#include "ws/logging.h"
#include "ws/redact.h"

namespace ws {

Result<ServersFile> CliContext::servers() const {
  auto file = load_servers(paths.servers_file());
  if (!file) return file;
  add_log_secrets(secrets_of(*file));
  for (const auto& w : file->warnings) warn(w.message);
  return file;
}

Result<ConfigFile> CliContext::config() const {
  auto file = load_config(paths.config_file());
  if (!file) return file;
  add_log_secrets(secrets_of(file->config));
  for (const auto& w : file->warnings) warn(w.message);
  return file;
}

int CliContext::fail(const std::string& message) const {
  // Messages are secret-free by contract; token parameters in URLs are caught here anyway.
  *err << "error: " << redact_url(message) << "\n";
  return kExitFailure;
}

int CliContext::usage(const std::string& message) const {
  *err << "error: " << redact_url(message) << "\n";
  return kExitUsage;
}

void CliContext::warn(const std::string& message) const { *err << "warning: " << redact_url(message) << "\n"; }

}  // namespace ws
