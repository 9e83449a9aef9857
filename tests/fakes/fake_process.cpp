#include "fake_process.h"

#include <arpa/inet.h>
#include <csignal>
#include <cstring>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <httplib.h>

extern char** environ;

namespace ws::fake {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

httplib::Headers auth_headers(const std::string& type, const std::string& token) {
  if (type == "plex") return {{"X-Plex-Token", token}, {"Accept", "application/json"}};
  if (type == "emby") return {{"X-Emby-Token", token}};
  return {{"Authorization", "MediaBrowser Client=\"ws-tests\", Device=\"test\", DeviceId=\"t1\", "
                            "Version=\"1\", Token=\"" + token + "\""}};
}

nlohmann::json checked(const httplib::Result& res, const std::string& what) {
  if (!res) throw std::runtime_error(what + ": no answer (" + httplib::to_string(res.error()) + ")");
  if (res->status != 200) {
    throw std::runtime_error(what + ": HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 300));
  }
  return nlohmann::json::parse(res->body);
}

}  // namespace

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("free_port: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("free_port: bind() failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string FakeProcess::binary_path() {
  if (const char* env = std::getenv("WS_FAKESERVER"); env && *env) return env;
  return WS_FAKESERVER_PATH;
}

FakeProcess FakeProcess::start(const std::string& type, const std::vector<std::string>& extra_args) {
  std::string token = "test-token-" + type;
  for (size_t i = 0; i + 1 < extra_args.size(); ++i) {
    if (extra_args[i] == "--token") token = extra_args[i + 1];
  }
  std::string last_error;
  // A free port can be taken between free_port() and the child's bind: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    FakeProcess p;
    p.type_ = type;
    p.token_ = token;
    p.port_ = free_port();
    char tmpl[] = "/tmp/ws-fakeserver-XXXXXX";
    const int err_fd = ::mkstemp(tmpl);
    if (err_fd < 0) throw std::runtime_error("FakeProcess: cannot create a temp file");
    p.stderr_path_ = tmpl;

    std::vector<std::string> args = {binary_path(), "--type", type, "--port", std::to_string(p.port_)};
    bool has_token = false;
    for (const auto& a : extra_args) has_token |= a == "--token";
    if (!has_token) args.insert(args.end(), {"--token", token});
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawn(&p.pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(err_fd);
    if (rc != 0) {
      p.pid_ = -1;
      throw std::runtime_error("FakeProcess: cannot start " + args[0] + ": " + std::strerror(rc));
    }

    httplib::Client client("127.0.0.1", p.port_);
    client.set_connection_timeout(0, 200000);
    client.set_read_timeout(2);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(p.pid_, &status, WNOHANG) == p.pid_) {
        exited = true;
        p.pid_ = -1;
        break;
      }
      if (auto res = client.Get("/__fake/info"); res && res->status == 200) return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    last_error = read_file(p.stderr_path_);
    if (!exited) {
      p.stop();
      throw std::runtime_error("FakeProcess: ws-fakeserver did not answer within 15 s: " + last_error);
    }
    if (last_error.find("cannot listen") == std::string::npos) break;  // not a port race: give up
  }
  throw std::runtime_error("FakeProcess: ws-fakeserver exited: " + last_error);
}

FakeProcess::FakeProcess(FakeProcess&& o) noexcept { *this = std::move(o); }

FakeProcess& FakeProcess::operator=(FakeProcess&& o) noexcept {
  if (this != &o) {
    stop();
    pid_ = o.pid_;
    port_ = o.port_;
    type_ = std::move(o.type_);
    token_ = std::move(o.token_);
    stderr_path_ = std::move(o.stderr_path_);
    o.pid_ = -1;
    o.stderr_path_.clear();
  }
  return *this;
}

FakeProcess::~FakeProcess() { stop(); }

void FakeProcess::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }
  if (!stderr_path_.empty()) {
    ::unlink(stderr_path_.c_str());
    stderr_path_.clear();
  }
}

nlohmann::json FakeProcess::get_json(const std::string& path) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(30);
  return checked(client.Get(path, auth_headers(type_, token_)), "GET " + path);
}

nlohmann::json FakeProcess::post_json(const std::string& path, const nlohmann::json& body) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(30);
  return checked(client.Post(path, auth_headers(type_, token_), body.dump(), "application/json"), "POST " + path);
}

}  // namespace ws::fake
