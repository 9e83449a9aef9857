// Logging for every process: spdlog to stderr, text lines or one JSON object per line. Every
// line passes through redaction (registered secrets and token query parameters) before it is
// written, so a secret that slips into a message still never reaches the log.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "ws/result.h"

namespace ws {

// The level to log at: `-v` = info, `-vv` = debug, `-vvv` = trace; flags only ever make the
// log more verbose than the configured level, never less.
std::string log_level_for(int verbosity, std::string_view configured_level);

// Installs the default logger (name "ws") writing to stderr, or to `stream` when given (the
// CLI's -r; the stream must outlive the logger: install another before it goes). `level`:
// trace|debug|info|warn|error; `format`: text|json. Refuses other values with a message naming
// them. Call once at start-up, before threads log; later calls replace the logger.
Result<Ok> setup_logging(int verbosity, std::string_view level, std::string_view format,
                         std::ostream* stream = nullptr);

// Adds values that must never appear in a log line (server tokens, the webhook key). Thread-safe.
// load_servers() and load_config() register what they read, so a process that knows a secret
// has registered it. Values shorter than kMinLogSecretLength are left out: they would blank
// every such run of letters in every line ("t" in every word) and hide nothing a guess would not
// find (real tokens are 20 to 64 characters).
inline constexpr size_t kMinLogSecretLength = 6;
void add_log_secrets(const std::vector<std::string>& secrets);

// `text` redacted exactly as a log line is (registered secrets, then token query parameters):
// for messages that reach a user by another way than the logger (CLI errors). Thread-safe.
std::string redact(std::string_view text);

// Logs a warning the first time this process shows `message`; later identical ones are dropped.
// For warnings that come back at every reload of a file, or once per thread in embedded mode.
void warn_once(const std::string& message);
// Records `message` as shown to the user by another way (the CLI's "warning: ..."); true the
// first time, when the caller should show it. warn_once() shares the record. Thread-safe.
bool first_warning(const std::string& message);

// True when the logger has already printed `message` (the bare message, as given to spdlog) at
// error level or above in this process: the CLI then leaves it out of what it prints after.
// Remembers the last few hundred such messages. Thread-safe.
bool logged_as_error(std::string_view message);

// Forgets the warnings and errors shown so far. run_cli calls it first: it is one command,
// and may be called many times in one process (tests).
void forget_shown_messages();

// Formats one line as setup_logging would, for tests: redacted text, no trailing newline.
std::string format_log_line_for_test(std::string_view format, std::string_view level, std::string_view message);

}  // namespace ws
