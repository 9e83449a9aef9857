#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "config_test_util.h"
#include "ws/config.h"

using namespace ws;
using ws::testing::slurp;
using ws::testing::TempDir;
namespace fs = std::filesystem;

TEST_CASE("private files are written 0600 and never overwritten by accident", "[config][files]") {
  TempDir dir;
  const fs::path path = dir.path / "a" / "b" / "secret.yaml";
  const mode_t old_mask = ::umask(0);  // even a permissive umask must not widen the mode
  auto first = write_private_file(path, "one", false);
  ::umask(old_mask);
  REQUIRE(first.ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(slurp(path) == "one");

  SECTION("a second write without overwrite is refused and names the file") {
    auto second = write_private_file(path, "two", false);
    REQUIRE_FALSE(second.ok());
    CHECK_THAT(second.error().message, Catch::Contains(path.string()));
    CHECK(slurp(path) == "one");
  }
  SECTION("overwrite replaces it and keeps 0600") {
    REQUIRE(write_private_file(path, "two", true).ok());
    CHECK(slurp(path) == "two");
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  int leftovers = 0;
  for (const auto& entry : fs::directory_iterator(path.parent_path())) {
    if (entry.path().filename() != "secret.yaml") ++leftovers;
  }
  CHECK(leftovers == 0);
}

TEST_CASE("the data folder comes from WS_DATA_PATH or ./var", "[config][files]") {
  ::setenv("WS_DATA_PATH", "/tmp/ws-data", 1);
  CHECK(DataPaths::from_environment().servers_file() == fs::path("/tmp/ws-data/config/servers.yaml"));
  ::unsetenv("WS_DATA_PATH");
  CHECK(DataPaths::from_environment().root == fs::path("./var"));
  CHECK(DataPaths::from_environment().db_dir() == fs::path("./var/db"));
}
