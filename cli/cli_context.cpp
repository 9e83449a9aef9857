#include "ws/cli_context.h"

#include <ostream>

#include "ws/logging.h"

namespace ws {

Result<ServersFile> CliContext::servers() const {
  auto file = load_servers(paths.servers_file());  // registers the tokens for redaction
  if (!file) return file;
  for (const auto& w : file->warnings) warn(w.message);
  return file;
}

Result<ConfigFile> CliContext::config() const {
  auto file = load_config(paths.config_file());  // registers the webhook key for redaction
  if (!file) return file;
  for (const auto& w : file->warnings) warn(w.message);
  return file;
}

int CliContext::fail(const std::string& message) const {
  // Messages are secret-free by contract; what slips through is caught here as in a log line.
  // One the logger has already printed (a failed run's error) is not printed twice.
  if (!logged_as_error(message)) *err << "error: " << redact(message) << "\n";
  return kExitFailure;
}

int CliContext::usage(const std::string& message) const {
  *err << "error: " << redact(message) << "\n";
  return kExitUsage;
}

void CliContext::warn(const std::string& message) const {
  // Once per process, shared with the logger's warn_once: embedded threads load the same files.
  if (first_warning(message)) *err << "warning: " << redact(message) << "\n";
}

}  // namespace ws
