#include "ws/zap_handler.h"

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "ws/curve_keys.h"
#include "ws/logging.h"

namespace ws {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr auto kRefusalWindow = std::chrono::seconds(60);
constexpr size_t kMaxRefusalsTracked = 4096;  // bounded against a flood of fresh keys

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " or ") + w;
  return out;
}

}  // namespace

std::vector<std::string> ZapHandler::roles_for(const std::string& domain) {
  if (domain == "workers") return {std::string(curve_role::kFetcher), std::string(curve_role::kExporter)};
  if (domain == "events") return {std::string(curve_role::kIngest)};
  if (domain == "control") return {std::string(curve_role::kCli)};
  return {};
}

Result<ZapHandler::AllowedKeys> ZapHandler::load_allowed(const std::filesystem::path& keys_dir,
                                                         const std::vector<std::string>& domains) {
  AllowedKeys allowed;
  for (const auto& domain : domains) {
    auto& keys = allowed[domain];
    for (const auto& role : roles_for(domain)) {
      auto key = load_curve_public_key(keys_dir, role);
      if (!key) {
        if (key.error().kind != ErrorKind::not_found) return key.error();
        warn_once(domain + " endpoint: CURVE is on and " + curve_public_file(keys_dir, role).string() +
                  " is missing: no " + role + " can connect (run `watchstate config:generate`)");
        continue;
      }
      keys[*curve_key_bytes(*key)] = role;
    }
  }
  return allowed;
}

Result<std::unique_ptr<ZapHandler>> ZapHandler::bind(zmq::context_t& context, AllowedKeys allowed,
                                                     std::function<Clock::time_point()> now) {
  std::unique_ptr<ZapHandler> handler(new ZapHandler(context, std::move(allowed), std::move(now)));
  try {
    handler->socket_.bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    return make_error(ErrorKind::unavailable, std::string("cannot bind the CURVE authenticator at ") + kZapEndpoint +
                                                  ": " + e.what() + " (another one runs in this process)");
  }
  return handler;
}

ZapHandler::ZapHandler(zmq::context_t& context, AllowedKeys allowed, std::function<Clock::time_point()> now)
    : socket_(context, zmq::socket_type::rep), allowed_(std::move(allowed)), now_(std::move(now)) {
  socket_.set(zmq::sockopt::linger, 0);
}

int ZapHandler::drain() {
  int answered = 0;
  while (true) {
    std::vector<zmq::message_t> frames;
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait)) break;
    bool more = frame.more();
    frames.push_back(std::move(frame));
    while (more) {
      zmq::message_t next;
      (void)socket_.recv(next);  // the rest of a multipart request is already here
      more = next.more();
      if (frames.size() < 8) frames.push_back(std::move(next));
    }
    // RFC 27: version, request id, domain, address, identity, mechanism, credentials...
    std::string request_id = frames.size() > 1 ? frames[1].to_string() : std::string();
    Verdict verdict;
    if (frames.size() < 6 || frames[0].to_string_view() != "1.0") {
      verdict = {"500", "malformed ZAP request", ""};
    } else {
      verdict = judge(frames[2].to_string(), frames[3].to_string(), frames[5].to_string(),
                      frames.size() > 6 ? frames[6].to_string() : std::string());
    }
    (verdict.code == "200" ? accepted_ : refused_) += 1;
    socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(verdict.code), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(verdict.text), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(verdict.user), zmq::send_flags::sndmore);
    socket_.send(zmq::message_t(), zmq::send_flags::none);  // no metadata
    ++answered;
  }
  return answered;
}

ZapHandler::Verdict ZapHandler::judge(const std::string& domain, const std::string& address,
                                      const std::string& mechanism, const std::string& key) {
  if (mechanism == "NULL") return {"200", "OK", ""};  // a plain socket: loopback, ipc or inproc
  if (mechanism != "CURVE") {
    log_refusal(domain, address, "a " + mechanism + " client", "only CURVE clients are accepted here");
    return {"400", "only CURVE clients are accepted", ""};
  }
  const std::string fingerprint = curve_fingerprint(key);
  auto endpoint = allowed_.find(domain);
  if (endpoint != allowed_.end()) {
    if (auto known = endpoint->second.find(key); known != endpoint->second.end()) {
      spdlog::debug("{} endpoint: accepted the {} key {} from {}", domain, known->second, fingerprint, address);
      return {"200", "OK", known->second};
    }
  }
  log_refusal(domain, address, "a client with key fingerprint " + fingerprint,
              "not the public key of a " + joined(roles_for(domain)) + " (keys/<role>.pub of this reconciler)");
  return {"400", "unknown CURVE key", ""};
}

void ZapHandler::log_refusal(const std::string& domain, const std::string& address, const std::string& who,
                             const std::string& reason) {
  const auto now = now_();
  const std::string tracked = domain + " " + who;
  auto it = refusals_logged_.find(tracked);
  if (it != refusals_logged_.end() && now - it->second.at < kRefusalWindow) {
    ++it->second.held_back;
    return;
  }
  const uint64_t held_back = it != refusals_logged_.end() ? it->second.held_back : 0;
  if (it == refusals_logged_.end() && refusals_logged_.size() >= kMaxRefusalsTracked) {
    std::erase_if(refusals_logged_, [&](const auto& e) { return now - e.second.at >= kRefusalWindow; });
    if (refusals_logged_.size() >= kMaxRefusalsTracked) refusals_logged_.clear();
  }
  refusals_logged_[tracked] = Logged{now, 0};
  const std::string address_text = address.empty() ? "an unknown address" : address;
  if (held_back > 0) {
    spdlog::warn("{} endpoint: refused {} from {}: {} ({} more refusals of this key held back since the last line)",
                 domain, who, address_text, reason, held_back);
  } else {
    spdlog::warn("{} endpoint: refused {} from {}: {}", domain, who, address_text, reason);
  }
}

}  // namespace ws
