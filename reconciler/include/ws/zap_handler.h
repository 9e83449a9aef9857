// The reconciler's ZAP handler (ZeroMQ RFC 27): when one of its endpoints runs CURVE
// (ws/curve_keys.h), libzmq asks this handler, over inproc://zeromq.zap.01 of the reconciler's
// context, whether each connecting client may stay. It accepts a client whose public key belongs
// to a role allowed on that endpoint (the ZAP domain: workers ← fetcher, exporter; events ←
// ingest; control ← cli) and refuses every other key, logging the refusal with the key's
// fingerprint (never a secret) once per key and endpoint per minute; the next line for that key
// says how many were held back. Clients on plain (NULL) sockets of the same context are accepted:
// their endpoints are loopback, ipc or inproc.
//
// Threads: bind, drain and destroy on the reconciler's loop thread, which polls socket().
// One handler per context (libzmq allows one); a second bind is refused.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "ws/result.h"

namespace ws {

class ZapHandler {
 public:
  using Clock = std::chrono::steady_clock;
  // ZAP domain (the endpoint's name) -> public key (32 raw bytes) -> the role it belongs to.
  using AllowedKeys = std::map<std::string, std::map<std::string, std::string>>;

  // The roles that may connect to each of the reconciler's endpoints.
  static std::vector<std::string> roles_for(const std::string& domain);

  // The public keys of the roles allowed on each of `domains`, from `<role>.pub` in `keys_dir`.
  // A missing role key is a warning naming the file (that role cannot connect); an unreadable
  // or malformed one is an error naming it.
  static Result<AllowedKeys> load_allowed(const std::filesystem::path& keys_dir,
                                          const std::vector<std::string>& domains);

  // Binds inproc://zeromq.zap.01 in `context`: an error when a handler is bound there already.
  static Result<std::unique_ptr<ZapHandler>> bind(zmq::context_t& context, AllowedKeys allowed,
                                                  std::function<Clock::time_point()> now = Clock::now);

  // To poll (ZMQ_POLLIN) beside the reconciler's sockets.
  zmq::socket_t& socket() { return socket_; }

  // Answers every waiting request without blocking. Returns how many were answered.
  int drain();

  // For tests: requests answered 200 and 400 so far.
  int accepted() const { return accepted_; }
  int refused() const { return refused_; }

 private:
  ZapHandler(zmq::context_t& context, AllowedKeys allowed, std::function<Clock::time_point()> now);
  // The reply's status code ("200" or "400"), its text and the user id for one request.
  struct Verdict {
    std::string code, text, user;
  };
  Verdict judge(const std::string& domain, const std::string& address, const std::string& mechanism,
                const std::string& key);
  // `who`: "a client with key fingerprint 1a2b3c4d"; logged once per (domain, who) per minute.
  void log_refusal(const std::string& domain, const std::string& address, const std::string& who,
                   const std::string& reason);

  zmq::socket_t socket_;
  AllowedKeys allowed_;
  std::function<Clock::time_point()> now_;
  struct Logged {
    Clock::time_point at;
    uint64_t held_back = 0;
  };
  std::map<std::string, Logged> refusals_logged_;  // "domain who" -> when last logged
  int accepted_ = 0;
  int refused_ = 0;
};

}  // namespace ws
