// Starts a real ws-fakeserver process for a test, on a free loopback port, and stops it when the
// FakeProcess goes out of scope.
//
//   auto plex = ws::fake::FakeProcess::start("plex", {"--movies", "50", "--page-max", "7"});
//   auto sections = plex.get_json("/library/sections");   // token and Accept added for you
//
// start() throws std::runtime_error (with the fake's stderr) if the process does not answer
// within 15 s. The token is "test-token-<type>" unless extra_args has --token. The binary is
// WS_FAKESERVER (environment) or the one this build made. Not thread-safe; one owner.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include <nlohmann/json.hpp>

namespace ws::fake {

class FakeProcess {
 public:
  static FakeProcess start(const std::string& type, const std::vector<std::string>& extra_args = {});

  FakeProcess(FakeProcess&& other) noexcept;
  FakeProcess& operator=(FakeProcess&& other) noexcept;
  FakeProcess(const FakeProcess&) = delete;
  FakeProcess& operator=(const FakeProcess&) = delete;
  ~FakeProcess();

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& token() const { return token_; }
  const std::string& type() const { return type_; }
  pid_t pid() const { return pid_; }

  // GET with this server type's auth (and Accept: application/json on Plex). Throws
  // std::runtime_error on a transport error or a status other than 200.
  nlohmann::json get_json(const std::string& path) const;
  // POST a JSON body (for /__fake/act, /__fake/webhook, /__fake/fail). Throws like get_json.
  nlohmann::json post_json(const std::string& path, const nlohmann::json& body) const;

  // Stops the process now (SIGTERM, then SIGKILL after 5 s). Idempotent.
  void stop();

  static std::string binary_path();

 private:
  FakeProcess() = default;

  pid_t pid_ = -1;
  int port_ = 0;
  std::string type_;
  std::string token_;
  std::string stderr_path_;
};

// A loopback TCP port nobody listens on right now.
int free_port();

}  // namespace ws::fake
