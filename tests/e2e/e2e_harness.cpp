#include "e2e_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "fake_process.h"

extern char** environ;

namespace ws::e2e {
namespace {

using Clock = std::chrono::steady_clock;

std::string from_env_or(const char* name, const char* built) {
  if (const char* v = std::getenv(name); v && *v) return v;
  return built;
}

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string random_suffix() {
  std::random_device rd;
  std::ostringstream s;
  s << std::hex << rd() << rd();
  return s.str();
}

std::string tcp_loopback(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }

}  // namespace

std::string watchstate_binary() { return from_env_or("WS_E2E_WATCHSTATE", WS_E2E_WATCHSTATE); }
std::string reconciler_binary() { return from_env_or("WS_E2E_RECONCILER", WS_E2E_RECONCILER); }
std::string fetcher_binary() { return from_env_or("WS_E2E_FETCHER", WS_E2E_FETCHER); }
std::string exporter_binary() { return from_env_or("WS_E2E_EXPORTER", WS_E2E_EXPORTER); }

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

bool tcp_listening(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// ---- Process ----

Process Process::spawn(const std::string& binary, const std::vector<std::string>& args, const Env& env,
                       const std::filesystem::path& log_dir, const std::string& name) {
  std::filesystem::create_directories(log_dir);
  Process p;
  p.name_ = name;
  const std::string stem = name + "-" + random_suffix();
  p.out_path_ = log_dir / (stem + ".out");
  p.err_path_ = log_dir / (stem + ".err");

  std::vector<std::string> argv_s = {binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos && env.count(entry.substr(0, eq))) continue;
    env_s.push_back(std::move(entry));
  }
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, p.out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, p.err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  // The child gets default signal handling whatever the test runner set up.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const int rc = ::posix_spawn(&p.pid_, binary.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    p.pid_ = -1;
    throw std::runtime_error("cannot start " + binary + ": " + std::strerror(rc));
  }
  return p;
}

Process::Process(Process&& other) noexcept { *this = std::move(other); }

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = other.pid_;
    status_ = other.status_;
    name_ = std::move(other.name_);
    out_path_ = std::move(other.out_path_);
    err_path_ = std::move(other.err_path_);
    other.pid_ = -1;
  }
  return *this;
}

Process::~Process() { stop(); }

bool Process::running() {
  if (pid_ <= 0 || status_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = decode_status(status);
    return false;
  }
  return true;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return status_;
  wait_until([&] { return !running(); }, timeout, std::chrono::milliseconds(20));
  return status_;
}

void Process::signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

void Process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  if (running()) {
    ::kill(pid_, SIGTERM);
    if (!wait(grace)) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      if (::waitpid(pid_, &status, 0) == pid_) status_ = decode_status(status);
    }
  }
  pid_ = -1;
}

std::string Process::out() const { return read_all(out_path_); }
std::string Process::err() const { return read_all(err_path_); }

std::string Process::tail(size_t max_chars) const {
  auto cut = [&](std::string s) { return s.size() > max_chars ? "..." + s.substr(s.size() - max_chars) : s; };
  return "--- " + name_ + " stderr ---\n" + cut(err()) + "\n--- " + name_ + " stdout ---\n" + cut(out()) + "\n";
}

// ---- RunResult ----

nlohmann::json RunResult::json() const {
  try {
    return nlohmann::json::parse(out);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("output is not JSON (") + e.what() + "): " + describe());
  }
}

std::string RunResult::describe() const {
  return "exit " + std::to_string(exit_code) + "\nstdout:\n" + out.substr(0, 6000) + "\nstderr:\n" +
         err.substr(0, 6000);
}

// ---- DataFolder ----

DataFolder::DataFolder(const std::string& label) {
  root_ = std::filesystem::temp_directory_path() / ("ws-e2e-" + label + "-" + random_suffix());
  std::filesystem::create_directories(root_ / "config");
  // Three distinct free ports: a port can only be reused once the probe released it.
  int ports[3];
  for (int i = 0; i < 3; ++i) {
    do {
      ports[i] = ws::fake::free_port();
    } while ((i > 0 && ports[i] == ports[0]) || (i > 1 && ports[i] == ports[1]));
  }
  workers_ = tcp_loopback(ports[0]);
  events_ = tcp_loopback(ports[1]);
  control_ = tcp_loopback(ports[2]);
  control_port_ = ports[2];
}

DataFolder::~DataFolder() {
  if (std::getenv("WS_E2E_KEEP")) return;  // for a post-mortem of a failing run
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

void DataFolder::write_servers(const std::vector<ServerEntry>& servers) const {
  const auto file = root_ / "config" / "servers.yaml";
  {
    std::ofstream out(file);
    for (const auto& s : servers) {
      out << s.name << ":\n"
          << "  type: " << s.type << "\n"
          << "  url: '" << s.url << "'\n"
          << "  token: '" << s.token << "'\n";
      if (!s.user.empty()) out << "  user: '" << s.user << "'\n";
      if (!s.ignore.empty()) out << "  options: { ignore: '" << s.ignore << "' }\n";
    }
  }
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

void DataFolder::write_config(const std::string& extra_yaml) const {
  const auto file = root_ / "config" / "config.yaml";
  {
    std::ofstream out(file);
    out << "endpoints:\n"
        << "  workers: '" << workers_ << "'\n"
        << "  events: '" << events_ << "'\n"
        << "  control: '" << control_ << "'\n"
        << extra_yaml;
  }
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

Process DataFolder::spawn(const std::string& binary, const std::vector<std::string>& args,
                          const std::string& name) const {
  return Process::spawn(binary, args, env(), logs(), name);
}

RunResult DataFolder::watchstate(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const {
  std::string name = "watchstate-" + std::to_string(++runs_);
  if (!args.empty()) {
    std::string command = args.front();
    for (auto& c : command)
      if (c == ':') c = '_';
    name += "-" + command;
  }
  auto p = spawn(watchstate_binary(), args, name);
  RunResult r;
  if (auto status = p.wait(timeout)) {
    r.exit_code = *status;
  } else {
    p.stop(std::chrono::milliseconds(500));
    r.exit_code = -1;
  }
  r.out = p.out();
  r.err = p.err();
  return r;
}

}  // namespace ws::e2e
