// One test per crash the fuzz targets found, named after what broke; each feeds the stored
// input (regressions/<target>/) to the parser and checks the clear error it gives now.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz_targets.h"

namespace {

std::string regression_input(const std::string& target, const std::string& name) {
  const auto file = std::filesystem::path(WS_SOURCE_DIR) / "tests" / "fuzz" / "regressions" / target / name;
  std::ifstream in(file, std::ios::binary);
  REQUIRE(in);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST_CASE("a server body with a number beyond a double (1e999) is an error, not an exception", "[fuzz][regression]") {
  // nlohmann's parser throws out_of_range (406) for it, not parse_error, and BackendHttp caught
  // only parse_error: the exception left the client and would have stopped a fetcher.
  const std::string body = regression_input("jellyfin_page", "number_overflow_1e999");
  for (auto type : {ws::ServerType::jellyfin, ws::ServerType::emby, ws::ServerType::plex}) {
    INFO(ws::to_string(type));
    auto client = ws::fuzz::echo_client(type, body);
    ws::Result<ws::ServerIdentity> identity = ws::make_error(ws::ErrorKind::io, "not called");
    REQUIRE_NOTHROW(identity = client->identity());
    REQUIRE_FALSE(identity.ok());
    CHECK(identity.error().kind == ws::ErrorKind::corruption);
    CHECK_THAT(identity.error().message, Catch::Contains("cannot be read as JSON") && Catch::Contains("number overflow"));
  }
}
