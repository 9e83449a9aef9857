// Test helpers for the CLI: a temp data folder set as WS_DATA_PATH, and running a command with
// its output captured.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ws/cli.h"

namespace ws::testing {

struct DataDir {
  std::filesystem::path path;
  DataDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ws-cli-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
    ::setenv("WS_DATA_PATH", path.c_str(), 1);
  }
  ~DataDir() {
    ::unsetenv("WS_DATA_PATH");
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;

  std::filesystem::path servers() const { return path / "config" / "servers.yaml"; }
  std::filesystem::path config() const { return path / "config" / "config.yaml"; }
  void write(const std::filesystem::path& file, const std::string& text) const {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
  }
  std::string read(const std::filesystem::path& file) const {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

inline CliRun run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  CliRun r;
  r.code = run_cli(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace ws::testing
