// What the end-to-end tests need to run the real binaries: spawn a process with its own
// environment and arguments (stdout and stderr captured to files), wait for it with a deadline,
// signal it; a temporary data folder with servers.yaml and config.yaml whose ZeroMQ endpoints are
// free loopback ports; and waiting for a condition with a deadline instead of sleeping.
//
// Not thread-safe: one test thread owns each object. Every process a Process starts is stopped
// (SIGTERM, then SIGKILL) when the Process is destroyed, so a failing test leaves nothing behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ws::e2e {

// The binaries under test, from compile definitions (overridable by the same names in the
// environment, e.g. WS_E2E_WATCHSTATE=/path/to/watchstate).
std::string watchstate_binary();
std::string reconciler_binary();
std::string fetcher_binary();
std::string exporter_binary();

using Env = std::map<std::string, std::string>;

// Polls `condition` every `poll` until it holds (true) or `timeout` passed (false).
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(50));

// One child process. Its stdout and stderr go to files in `log_dir`, kept after it exits so a
// failing test can show them.
class Process {
 public:
  // Starts `binary` with `args`; the environment is this process's plus `env` (which wins).
  // Throws std::runtime_error when the binary cannot be started.
  static Process spawn(const std::string& binary, const std::vector<std::string>& args, const Env& env,
                       const std::filesystem::path& log_dir, const std::string& name);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  // Whether the process still runs (reaps it when it has exited).
  bool running();
  // The exit status once it exited within `timeout`: the exit code, or 128 + signal number when
  // a signal ended it; nullopt when it still runs.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  void signal(int sig);
  // SIGTERM, then SIGKILL after `grace`; waits for it. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  std::string out() const;  // everything it wrote to stdout so far
  std::string err() const;  // ... and to stderr
  // The last `max_chars` of stderr and stdout, labelled, for failure messages.
  std::string tail(size_t max_chars = 4000) const;

 private:
  Process() = default;
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string name_;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
};

// The outcome of a process run to its end.
struct RunResult {
  int exit_code = -1;  // as Process::wait; -1 when it overran its deadline (it was killed)
  std::string out;
  std::string err;
  nlohmann::json json() const;  // stdout parsed; throws with the output when it is not JSON
  std::string describe() const;  // exit code and output, for failure messages
};

// A server entry of servers.yaml.
struct ServerEntry {
  std::string name;
  std::string type;  // plex | jellyfin | emby
  std::string url;
  std::string token;
  std::string user;  // jellyfin/emby user id; empty for plex
  std::string ignore;  // options.ignore: library ids not to import or export
};

// A temporary WS_DATA_PATH (removed on destruction) with config/servers.yaml and
// config/config.yaml; the three endpoints are tcp://127.0.0.1:<free port>.
class DataFolder {
 public:
  explicit DataFolder(const std::string& label);
  ~DataFolder();
  DataFolder(const DataFolder&) = delete;
  DataFolder& operator=(const DataFolder&) = delete;

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path logs() const { return root_ / "e2e-logs"; }
  const std::string& workers_endpoint() const { return workers_; }
  const std::string& control_endpoint() const { return control_; }
  const std::string& events_endpoint() const { return events_; }
  int control_port() const { return control_port_; }

  void write_servers(const std::vector<ServerEntry>& servers) const;
  // config.yaml: the endpoints, log.level, plus `extra_yaml` (top-level keys, already indented).
  void write_config(const std::string& extra_yaml = "") const;

  // WS_DATA_PATH for every process of this folder.
  Env env() const { return {{"WS_DATA_PATH", root_.string()}}; }

  Process spawn(const std::string& binary, const std::vector<std::string>& args, const std::string& name) const;
  // Runs `watchstate args...` to its end; a run over `timeout` is killed (exit_code -1).
  RunResult watchstate(const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout = std::chrono::seconds(90)) const;

 private:
  std::filesystem::path root_;
  std::string workers_, control_, events_;
  int control_port_ = 0;
  mutable int runs_ = 0;
};

// Whether something accepts TCP connections on 127.0.0.1:port.
bool tcp_listening(int port);

}  // namespace ws::e2e
