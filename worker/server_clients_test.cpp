// The backend clients a worker keeps per server: which servers it serves, what servers.yaml
// says, and when a server gets new clients. No server is contacted: clients are only built.
#include "ws/server_clients.h"

#include <fstream>

#include <catch2/catch.hpp>

#include "config_test_util.h"

namespace {

const char* kPlexA = "plex_a:\n  type: plex\n  url: 'http://127.0.0.1:9'\n  token: 'token-one'\n";

// A data folder with servers.yaml, and the options of a worker reading it.
struct Folder {
  ws::testing::TempDir dir;
  ws::WorkerOptions options;
  explicit Folder(const std::string& servers_yaml) {
    options.paths = ws::DataPaths{dir.path};
    options.name = "fetcher-test";
    std::filesystem::create_directories(options.paths.config_dir());
    write_servers(servers_yaml);
  }
  void write_servers(const std::string& yaml) const { std::ofstream(options.paths.servers_file()) << yaml; }
};

}  // namespace

TEST_CASE("clients are made on demand and kept between jobs", "[server_clients]") {
  Folder folder(kPlexA);
  ws::ServerClients clients(folder.options, "fetcher");
  auto first = clients.clients_for("plex_a", 1);
  REQUIRE(first);
  REQUIRE((*first)->clients.size() == 1);
  const ws::BackendClient* kept = (*first)->clients[0].get();
  auto more = clients.clients_for("plex_a", 3);
  REQUIRE(more);
  CHECK(*more == *first);
  REQUIRE((*more)->clients.size() == 3);
  CHECK((*more)->clients[0].get() == kept);
  auto fewer = clients.clients_for("plex_a", 1);
  REQUIRE(fewer);
  CHECK((*fewer)->clients.size() == 3);  // never shrinks
}

TEST_CASE("a server this worker does not serve is worth another attempt elsewhere", "[server_clients]") {
  Folder folder(kPlexA);
  folder.options.servers = {"other"};
  ws::ServerClients clients(folder.options, "exporter");
  auto pool = clients.clients_for("plex_a", 1);
  REQUIRE_FALSE(pool);
  CHECK(pool.error().kind == ws::ErrorKind::unavailable);
  CHECK(pool.error().message == "exporter 'fetcher-test' does not serve server 'plex_a'");
}

TEST_CASE("a server servers.yaml does not list is not found until it is added", "[server_clients]") {
  Folder folder(kPlexA);
  ws::ServerClients clients(folder.options, "fetcher");
  auto missing = clients.clients_for("jf", 1);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ws::ErrorKind::not_found);
  CHECK(missing.error().message.find("'jf'") != std::string::npos);
  CHECK(missing.error().message.find("servers.yaml") != std::string::npos);

  folder.write_servers(std::string(kPlexA) +
                       "jf:\n  type: jellyfin\n  url: 'http://127.0.0.1:9'\n  token: 't'\n  user: 'u'\n");
  auto added = clients.clients_for("jf", 1);
  REQUIRE(added);
  CHECK((*added)->config.type == ws::ServerType::jellyfin);
}

TEST_CASE("a server whose entry changed gets new clients with a new series cache", "[server_clients]") {
  Folder folder(kPlexA);
  ws::ServerClients clients(folder.options, "fetcher");
  auto before = clients.clients_for("plex_a", 2);
  REQUIRE(before);
  const auto old_series = (*before)->series;
  // The file is read again when a job names a server it does not know yet.
  folder.write_servers(
      "plex_a:\n  type: plex\n  url: 'http://127.0.0.1:9'\n  token: 'token-two'\n"
      "plex_b:\n  type: plex\n  url: 'http://127.0.0.1:9'\n  token: 'token-b'\n");
  REQUIRE(clients.clients_for("plex_b", 1));
  auto after = clients.clients_for("plex_a", 1);
  REQUIRE(after);
  CHECK((*after)->config.token == "token-two");
  CHECK((*after)->clients.size() == 1);
  CHECK((*after)->series != old_series);
}

TEST_CASE("an unreadable servers.yaml fails each job with the file's error", "[server_clients]") {
  Folder folder("plex_a: [not, a, map\n");
  ws::ServerClients clients(folder.options, "fetcher");
  auto pool = clients.clients_for("plex_a", 1);
  REQUIRE_FALSE(pool);
  CHECK(pool.error().message.find("servers.yaml") != std::string::npos);
}
