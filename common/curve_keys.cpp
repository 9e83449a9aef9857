#include "ws/curve_keys.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <sys/stat.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ws/config.h"
#include "ws/logging.h"
#include "ws/text.h"

namespace ws {
namespace {

constexpr size_t kZ85KeyLength = 40;  // Z85 of 32 bytes
constexpr size_t kRawKeyLength = 32;

// The host part of a tcp endpoint: after "tcp://" and any "source;", before the last ':',
// without IPv6 brackets.
std::string_view endpoint_host(std::string_view rest) {
  if (auto semicolon = rest.find(';'); semicolon != std::string_view::npos) rest = rest.substr(semicolon + 1);
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) rest = rest.substr(0, colon);
  if (rest.size() >= 2 && rest.front() == '[' && rest.back() == ']') rest = rest.substr(1, rest.size() - 2);
  return rest;
}

bool is_loopback_host(std::string_view host) {
  const std::string h = ascii_lower(host);
  if (h == "localhost" || h == "lo" || h == "::1") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::string key_file_text(std::string_view what, std::string_view name, std::string_view z85) {
  return "# watchstate CURVE " + std::string(what) + " of " + std::string(name) +
         " (docs/protocol.md \"Security\")\n" + std::string(z85) + "\n";
}

// The first line of `file` that is neither empty nor a `#` comment, trimmed; not_found when
// the file does not exist. Never puts the content into an error.
Result<std::string> read_key_line(const std::filesystem::path& file, std::string_view role_hint) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    return make_error(ErrorKind::not_found, file.string() + ": no such CURVE key file (run `watchstate config:generate`" +
                                                std::string(role_hint) + ")");
  }
  std::ifstream in(file);
  if (!in) return make_error(ErrorKind::io, file.string() + ": cannot read: " + std::strerror(errno));
  std::string line;
  while (std::getline(in, line)) {
    std::string trimmed(trim(line));
    if (trimmed.empty() || trimmed.front() == '#') continue;
    return trimmed;
  }
  return make_error(ErrorKind::invalid_input, file.string() + ": holds no key (40 Z85 characters expected)");
}

Error not_a_key(const std::filesystem::path& file) {
  return make_error(ErrorKind::invalid_input, file.string() + ": not a CURVE key (40 Z85 characters expected)");
}

// The folder, mode 0700 when this call creates it.
Result<Ok> make_keys_dir(const std::filesystem::path& keys_dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(keys_dir, ec)) return Ok{};
  if (keys_dir.has_parent_path()) std::filesystem::create_directories(keys_dir.parent_path(), ec);
  if (ec) return make_error(ErrorKind::io, keys_dir.parent_path().string() + ": cannot create folder: " + ec.message());
  if (::mkdir(keys_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(ErrorKind::io, keys_dir.string() + ": cannot create folder: " + std::strerror(errno));
  ::chmod(keys_dir.c_str(), 0700);  // mkdir's mode went through the umask
  return Ok{};
}

std::string derive_public(const std::string& secret_z85) {
  char public_z85[kZ85KeyLength + 1] = {};
  if (zmq_curve_public(public_z85, secret_z85.c_str()) != 0) return "";
  return public_z85;
}

}  // namespace

const std::vector<std::string>& curve_key_names() {
  static const std::vector<std::string> names = {
      std::string(curve_role::kReconciler), std::string(curve_role::kFetcher), std::string(curve_role::kExporter),
      std::string(curve_role::kIngest), std::string(curve_role::kCli)};
  return names;
}

bool curve_available() { return zmq_has("curve") == 1; }

bool endpoint_needs_curve(std::string_view endpoint) {
  constexpr std::string_view kTcp = "tcp://";
  if (endpoint.substr(0, kTcp.size()) != kTcp) return false;
  return !is_loopback_host(endpoint_host(endpoint.substr(kTcp.size())));
}

Result<CurveKeypair> new_curve_keypair() {
  char public_z85[kZ85KeyLength + 1] = {};
  char secret_z85[kZ85KeyLength + 1] = {};
  if (zmq_curve_keypair(public_z85, secret_z85) != 0)
    return make_error(ErrorKind::unavailable, "this libzmq cannot make CURVE keys (built without CURVE)");
  CurveKeypair pair{public_z85, secret_z85};
  sodium_memzero(secret_z85, sizeof secret_z85);
  return pair;
}

std::optional<std::string> curve_key_bytes(std::string_view z85) {
  if (z85.size() != kZ85KeyLength) return std::nullopt;
  const std::string text(z85);
  uint8_t bytes[kRawKeyLength];
  if (!zmq_z85_decode(bytes, text.c_str())) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(bytes), kRawKeyLength);
}

std::string curve_fingerprint(std::string_view public_key) {
  std::string raw;
  if (public_key.size() == kZ85KeyLength) {
    auto decoded = curve_key_bytes(public_key);
    if (!decoded) return "?";
    raw = std::move(*decoded);
  } else if (public_key.size() == kRawKeyLength) {
    raw = std::string(public_key);
  } else {
    return "?";
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::filesystem::path curve_secret_file(const std::filesystem::path& keys_dir, std::string_view name) {
  return keys_dir / (std::string(name) + ".key");
}

std::filesystem::path curve_public_file(const std::filesystem::path& keys_dir, std::string_view name) {
  return keys_dir / (std::string(name) + ".pub");
}

Result<CurveKeypair> load_curve_keypair(const std::filesystem::path& keys_dir, std::string_view name) {
  const auto file = curve_secret_file(keys_dir, name);
  auto line = read_key_line(file, " on the reconciler's host and copy its keys folder here");
  if (!line) return line.error();
  CurveKeypair pair;
  pair.secret_z85 = std::move(*line);
  add_log_secrets({pair.secret_z85});  // before anything could show it
  if (!curve_key_bytes(pair.secret_z85)) return not_a_key(file);
  pair.public_z85 = derive_public(pair.secret_z85);
  if (pair.public_z85.empty())
    return make_error(ErrorKind::unavailable, file.string() + ": this libzmq cannot use CURVE keys (built without CURVE)");
  if (auto exposed = exposed_file_warning(file)) warn_once(exposed->message);
  return pair;
}

Result<std::string> load_curve_public_key(const std::filesystem::path& keys_dir, std::string_view name) {
  const auto file = curve_public_file(keys_dir, name);
  auto line = read_key_line(file, " on the reconciler's host and copy its keys folder here");
  if (!line) return line.error();
  if (!curve_key_bytes(*line)) return not_a_key(file);
  return *line;
}

Result<std::vector<CurveKeyOutcome>> generate_curve_keys(const std::filesystem::path& keys_dir) {
  if (!curve_available())
    return make_error(ErrorKind::unavailable, "this libzmq has no CURVE (zmq_has(\"curve\") is false): no keys made");
  if (auto made = make_keys_dir(keys_dir); !made) return made.error();
  std::vector<CurveKeyOutcome> outcomes;
  for (const auto& name : curve_key_names()) {
    const auto secret_file = curve_secret_file(keys_dir, name);
    const auto public_file = curve_public_file(keys_dir, name);
    std::error_code ec;
    const bool has_secret = std::filesystem::exists(secret_file, ec);
    const bool has_public = std::filesystem::exists(public_file, ec);
    CurveKeyOutcome outcome;
    outcome.name = name;
    if (has_secret) {
      auto pair = load_curve_keypair(keys_dir, name);
      if (!pair) return pair.error();
      outcome.fingerprint = curve_fingerprint(pair->public_z85);
      if (has_public) {
        auto known = load_curve_public_key(keys_dir, name);
        if (!known) return known.error();
        if (*known != pair->public_z85)
          return make_error(ErrorKind::invalid_input,
                            public_file.string() + ": does not match " + secret_file.string() +
                                " (remove the wrong one, or both to make a new pair)");
        outcome.action = CurveKeyOutcome::Action::kept;
      } else {
        if (auto ok = write_private_file(public_file, key_file_text("public key", name, pair->public_z85), false); !ok)
          return ok.error();
        outcome.action = CurveKeyOutcome::Action::public_restored;
      }
    } else if (has_public) {
      auto known = load_curve_public_key(keys_dir, name);
      if (!known) return known.error();
      outcome.fingerprint = curve_fingerprint(*known);
      outcome.action = CurveKeyOutcome::Action::public_only;
    } else {
      auto pair = new_curve_keypair();
      if (!pair) return pair.error();
      add_log_secrets({pair->secret_z85});
      // The secret first: a crash in between leaves a .key alone, which the next run completes.
      if (auto ok = write_private_file(secret_file, key_file_text("secret key", name, pair->secret_z85), false); !ok)
        return ok.error();
      if (auto ok = write_private_file(public_file, key_file_text("public key", name, pair->public_z85), false); !ok)
        return ok.error();
      outcome.fingerprint = curve_fingerprint(pair->public_z85);
      outcome.action = CurveKeyOutcome::Action::created;
    }
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

Result<std::optional<CurveClientKeys>> curve_client_keys(std::string_view endpoint,
                                                         const std::filesystem::path& keys_dir,
                                                         std::string_view role) {
  if (!endpoint_needs_curve(endpoint)) return std::optional<CurveClientKeys>();
  const std::string why = "endpoint " + std::string(endpoint) + " is not loopback, so CURVE is on and " +
                          std::string(role) + " needs its keys: ";
  if (!curve_available())
    return make_error(ErrorKind::unavailable, why + "this libzmq has no CURVE (zmq_has(\"curve\") is false)");
  CurveClientKeys keys;
  auto own = load_curve_keypair(keys_dir, role);
  if (!own) return make_error(own.error().kind, why + own.error().message);
  keys.own = std::move(*own);
  auto server = load_curve_public_key(keys_dir, curve_role::kReconciler);
  if (!server) return make_error(server.error().kind, why + server.error().message);
  keys.server_public_z85 = std::move(*server);
  return std::optional<CurveClientKeys>(std::move(keys));
}

void apply_curve_client(zmq::socket_t& socket, const CurveClientKeys& keys) {
  socket.set(zmq::sockopt::curve_serverkey, keys.server_public_z85);
  socket.set(zmq::sockopt::curve_publickey, keys.own.public_z85);
  socket.set(zmq::sockopt::curve_secretkey, keys.own.secret_z85);
}

void apply_curve_server(zmq::socket_t& socket, const CurveKeypair& keys, const std::string& domain) {
  socket.set(zmq::sockopt::zap_domain, domain);
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, keys.secret_z85);
}

}  // namespace ws
