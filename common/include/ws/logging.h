// Logging for every process: spdlog to stderr, text lines or one JSON object per line. Every
// line passes through redaction (registered secrets and token query parameters) before it is
// written, so a secret that slips into a message still never reaches the log.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ws/result.h"

namespace ws {

// The level to log at: `-v` = info, `-vv` = debug, `-vvv` = trace; flags only ever make the
// log more verbose than the configured level, never less.
std::string log_level_for(int verbosity, std::string_view configured_level);

// Installs the default logger (name "ws") writing to stderr. `level`: trace|debug|info|warn|
// error; `format`: text|json. Refuses other values with a message naming them. Call once at
// start-up, before threads log; later calls replace the logger.
Result<Ok> setup_logging(int verbosity, std::string_view level, std::string_view format);

// Adds values that must never appear in a log line (server tokens, the webhook key). Thread-safe.
void add_log_secrets(const std::vector<std::string>& secrets);

// Formats one line as setup_logging would, for tests: redacted text, no trailing newline.
std::string format_log_line_for_test(std::string_view format, std::string_view level, std::string_view message);

}  // namespace ws
