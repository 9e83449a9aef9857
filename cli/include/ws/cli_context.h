// What every command gets: the data folder, the output format, the verbosity and the two
// output streams, plus the few helpers every command needs to report the same way.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include "ws/config.h"
#include "ws/result.h"

namespace ws {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

enum class OutputFormat { text, json };

struct CliContext {
  DataPaths paths;
  OutputFormat output = OutputFormat::text;
  int verbosity = 0;  // number of -v
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Set by the chosen command's CLI11 callback; run_cli calls it once parsing succeeded.
  std::function<int()> action;

  bool json() const { return output == OutputFormat::json; }

  // servers.yaml / config.yaml (+ WS_* overrides), warnings printed to err, secrets registered
  // with the logger. A missing file gives the empty list / the defaults.
  Result<ServersFile> servers() const;
  Result<ConfigFile> config() const;

  // Prints "error: <message>" (redacted as a log line is) to err and returns kExitFailure; a
  // message the logger already printed as an error is not printed again.
  int fail(const std::string& message) const;
  int fail(const Error& error) const { return fail(error.message); }
  // Prints "error: <message>" (redacted) to err and returns kExitUsage.
  int usage(const std::string& message) const;
  void warn(const std::string& message) const;
};

}  // namespace ws
