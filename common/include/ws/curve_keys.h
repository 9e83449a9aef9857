// ZeroMQ CURVE between watchstate processes (DESIGN §9, docs/protocol.md "Security"): when CURVE
// is on, where its keys live, how they are made, loaded and applied to a socket.
//
// CURVE is on for an endpoint exactly when it is tcp:// on a host that is not loopback (a
// wildcard `*`, `0.0.0.0`, a name or an address other than 127.0.0.0/8, ::1, localhost, lo):
// traffic that can leave the machine is authenticated and encrypted; loopback tcp, ipc:// and
// inproc:// stay plain. Both sides decide from the endpoint text alone (no name lookups), so a
// reconciler and its peers agree as long as the peers name a non-loopback address too.
//
// Keys live in `<data>/config/keys/` (DataPaths::keys_dir): `<name>.key` holds a secret key,
// `<name>.pub` its public key, each one line of Z85 (40 characters) after `#` comment lines. One
// pair for the reconciler and one per role (fetcher, exporter, ingest, cli); replicas of a role
// share theirs. Files are mode 0600, the folder 0700; nothing here ever overwrites a key file.
// Secret keys never appear in a message: loading one registers it with add_log_secrets().
//
// Thread-safe: no state but the logger's secret list.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "ws/result.h"

namespace ws {

namespace curve_role {
inline constexpr std::string_view kReconciler = "reconciler";
inline constexpr std::string_view kFetcher = "fetcher";
inline constexpr std::string_view kExporter = "exporter";
inline constexpr std::string_view kIngest = "ingest";
inline constexpr std::string_view kCli = "cli";
}  // namespace curve_role

// The reconciler, then every role, in the order config:generate makes them.
const std::vector<std::string>& curve_key_names();

// Whether libzmq was built with CURVE (zmq_has("curve")).
bool curve_available();

// Whether `endpoint` gets CURVE (the rule above). A `source;host:port` connect endpoint is
// judged by its host.
bool endpoint_needs_curve(std::string_view endpoint);

struct CurveKeypair {
  std::string public_z85;  // 40 characters
  std::string secret_z85;  // 40 characters; a secret
};

// A new keypair from libzmq (zmq_curve_keypair). Errors: unavailable when libzmq has no CURVE.
Result<CurveKeypair> new_curve_keypair();

// A short, public name of a key for logs: the first 8 hex digits of the SHA-256 of its 32 bytes.
// `public_key` is Z85 (40 characters) or the 32 raw bytes; "?" for anything else.
std::string curve_fingerprint(std::string_view public_key);

// The 32 raw bytes of a Z85 key; nullopt when `z85` is not 40 valid Z85 characters.
std::optional<std::string> curve_key_bytes(std::string_view z85);

std::filesystem::path curve_secret_file(const std::filesystem::path& keys_dir, std::string_view name);
std::filesystem::path curve_public_file(const std::filesystem::path& keys_dir, std::string_view name);

// What config:generate did for one name.
struct CurveKeyOutcome {
  std::string name;
  enum class Action { created, kept, public_restored, public_only } action = Action::kept;
  std::string fingerprint;  // of the public key ("" when neither file is readable)
};

// Creates the keys folder (0700) and, for each of curve_key_names(), the pair when neither file
// exists. Never overwrites: an existing pair is kept, a missing `.pub` beside a `.key` is written
// from the secret key (public_restored), a `.pub` alone is kept (public_only: a host that only
// needs to know that key). Errors name the file.
Result<std::vector<CurveKeyOutcome>> generate_curve_keys(const std::filesystem::path& keys_dir);

// `<name>.key`, with its public key derived from it, registered for redaction. Errors name the
// file (never its content) and say how to make it: not_found when it is missing, invalid_input
// when it is not a key.
Result<CurveKeypair> load_curve_keypair(const std::filesystem::path& keys_dir, std::string_view name);
// `<name>.pub` as Z85. Errors as load_curve_keypair.
Result<std::string> load_curve_public_key(const std::filesystem::path& keys_dir, std::string_view name);

// What a connecting process (a role) needs: its own pair and the reconciler's public key.
struct CurveClientKeys {
  CurveKeypair own;
  std::string server_public_z85;
};

// nullopt when `endpoint` needs no CURVE; else `role`'s keypair and the reconciler's public key
// from `keys_dir`, or an error naming the missing file and the endpoint that needs it.
Result<std::optional<CurveClientKeys>> curve_client_keys(std::string_view endpoint,
                                                         const std::filesystem::path& keys_dir,
                                                         std::string_view role);

// Socket options; call before connect / bind. The server side also sets ZMQ_ZAP_DOMAIN to
// `domain`, so that a ZAP handler decides who may connect (the reconciler's ZapHandler).
void apply_curve_client(zmq::socket_t& socket, const CurveClientKeys& keys);
void apply_curve_server(zmq::socket_t& socket, const CurveKeypair& keys, const std::string& domain);

}  // namespace ws
