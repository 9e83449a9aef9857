#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "config_test_util.h"
#include "ws/config.h"
#include "ws/curve_keys.h"
#include "ws/logging.h"

using namespace ws;
using ws::testing::slurp;
using ws::testing::TempDir;
namespace fs = std::filesystem;

namespace {

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("CURVE is on for tcp endpoints off loopback only", "[curve]") {
  for (const char* plain : {"tcp://127.0.0.1:5560", "tcp://127.1.2.3:1", "tcp://localhost:5560", "tcp://[::1]:5560",
                            "tcp://lo:5560", "tcp://LOCALHOST:1", "ipc:///tmp/ws.sock", "inproc://ws-workers",
                            "tcp://127.0.0.1:0;127.0.0.1:5560"}) {
    INFO(plain);
    CHECK_FALSE(endpoint_needs_curve(plain));
  }
  for (const char* secured : {"tcp://0.0.0.0:5560", "tcp://*:5560", "tcp://192.0.2.7:5560", "tcp://watchstate:5560",
                              "tcp://[::]:5560", "tcp://[2001:db8::1]:5560", "tcp://eth0:5560",
                              "tcp://127.0.0.1:0;10.0.0.1:5560"}) {
    INFO(secured);
    CHECK(endpoint_needs_curve(secured));
  }
}

TEST_CASE("a fingerprint is 8 hex digits of the key's SHA-256, the same from Z85 or raw bytes", "[curve]") {
  REQUIRE(curve_available());
  auto pair = new_curve_keypair();
  REQUIRE(pair.ok());
  const std::string fp = curve_fingerprint(pair->public_z85);
  CHECK(fp.size() == 8);
  CHECK(fp.find_first_not_of("0123456789abcdef") == std::string::npos);
  auto raw = curve_key_bytes(pair->public_z85);
  REQUIRE(raw);
  CHECK(curve_fingerprint(*raw) == fp);
  // SHA-256 of 32 zero bytes starts 66687aad (a known vector).
  CHECK(curve_fingerprint(std::string(32, '\0')) == "66687aad");
  CHECK(curve_fingerprint("short") == "?");
  CHECK_FALSE(curve_key_bytes("not a key"));
  CHECK_FALSE(curve_key_bytes(std::string(40, '~')));
}

TEST_CASE("config:generate's keys: one pair per name, 0600 files in a 0700 folder, never overwritten", "[curve]") {
  TempDir dir;
  const fs::path keys = dir.path / "config" / "keys";
  const mode_t old_mask = ::umask(0);  // a permissive umask must not widen the modes
  auto made = generate_curve_keys(keys);
  ::umask(old_mask);
  REQUIRE(made.ok());
  REQUIRE(made->size() == curve_key_names().size());
  CHECK(mode_of(keys) == 0700);
  for (const auto& outcome : *made) {
    INFO(outcome.name);
    CHECK(outcome.action == CurveKeyOutcome::Action::created);
    CHECK(mode_of(curve_secret_file(keys, outcome.name)) == 0600);
    CHECK(mode_of(curve_public_file(keys, outcome.name)) == 0600);
    auto pair = load_curve_keypair(keys, outcome.name);
    REQUIRE(pair.ok());
    auto pub = load_curve_public_key(keys, outcome.name);
    REQUIRE(pub.ok());
    CHECK(*pub == pair->public_z85);  // the public key derived from the secret one is the one written
    CHECK(curve_fingerprint(*pub) == outcome.fingerprint);
    // A loaded secret key is redacted from every log line.
    CHECK(redact("key " + pair->secret_z85) == "key ***");
  }
  const std::string fetcher_secret = slurp(curve_secret_file(keys, "fetcher"));

  SECTION("a second run keeps every key") {
    auto again = generate_curve_keys(keys);
    REQUIRE(again.ok());
    for (const auto& outcome : *again) CHECK(outcome.action == CurveKeyOutcome::Action::kept);
    CHECK(slurp(curve_secret_file(keys, "fetcher")) == fetcher_secret);
  }
  SECTION("a lost public key is written again from its secret key; a public key alone is kept") {
    const std::string exporter_public = slurp(curve_public_file(keys, "exporter"));
    fs::remove(curve_public_file(keys, "exporter"));
    fs::remove(curve_secret_file(keys, "reconciler"));
    auto again = generate_curve_keys(keys);
    REQUIRE(again.ok());
    for (const auto& outcome : *again) {
      if (outcome.name == "exporter") CHECK(outcome.action == CurveKeyOutcome::Action::public_restored);
      if (outcome.name == "reconciler") CHECK(outcome.action == CurveKeyOutcome::Action::public_only);
    }
    CHECK(slurp(curve_public_file(keys, "exporter")) == exporter_public);
    CHECK_FALSE(fs::exists(curve_secret_file(keys, "reconciler")));
  }
  SECTION("a public key that does not match its secret key is an error naming both files") {
    fs::remove(curve_public_file(keys, "cli"));
    fs::copy_file(curve_public_file(keys, "ingest"), curve_public_file(keys, "cli"));
    auto again = generate_curve_keys(keys);
    REQUIRE_FALSE(again.ok());
    CHECK_THAT(again.error().message, Catch::Contains("cli.pub") && Catch::Contains("cli.key"));
  }
}

TEST_CASE("a client's keys: none on loopback, else its pair and the reconciler's public key", "[curve]") {
  TempDir dir;
  const fs::path keys = dir.path / "keys";

  SECTION("loopback needs nothing, even without a keys folder") {
    auto none = curve_client_keys("tcp://127.0.0.1:5560", keys, "fetcher");
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());
  }
  SECTION("a missing key file is an error naming it and the endpoint") {
    auto missing = curve_client_keys("tcp://192.0.2.7:5560", keys, "fetcher");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == ErrorKind::not_found);
    CHECK_THAT(missing.error().message, Catch::Contains((keys / "fetcher.key").string()) &&
                                            Catch::Contains("tcp://192.0.2.7:5560") &&
                                            Catch::Contains("config:generate"));
  }
  SECTION("with the keys made, the role's pair and the reconciler's public key") {
    REQUIRE(generate_curve_keys(keys).ok());
    auto found = curve_client_keys("tcp://192.0.2.7:5560", keys, "exporter");
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->own.public_z85 == load_curve_public_key(keys, "exporter").value());
    CHECK((*found)->server_public_z85 == load_curve_public_key(keys, "reconciler").value());

    fs::remove(curve_public_file(keys, "reconciler"));
    auto no_server = curve_client_keys("tcp://192.0.2.7:5560", keys, "exporter");
    REQUIRE_FALSE(no_server.ok());
    CHECK_THAT(no_server.error().message, Catch::Contains("reconciler.pub"));
  }
  SECTION("a key file that is not a key is refused without quoting it") {
    fs::create_directories(keys);
    { std::ofstream(keys / "cli.key") << "# comment\nthis-is-not-a-curve-secret-key\n"; }
    auto bad = load_curve_keypair(keys, "cli");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == ErrorKind::invalid_input);
    CHECK_THAT(bad.error().message, Catch::Contains("cli.key") && !Catch::Contains("this-is-not"));
  }
}
