// The `watchstate` command line (DESIGN §7). main() is one call to run_cli(); tests call the
// stream overload and read what a user would see.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ws {

// Parses the flags, runs one command, returns the exit code: 0 ok, 1 failure, 2 usage error.
int run_cli(int argc, char** argv);
// `args` excludes the program name. Output goes to `out` (data) and `err` (errors, warnings).
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ws
