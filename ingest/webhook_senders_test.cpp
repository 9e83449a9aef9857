// Which configured server a webhook speaks for: keys, server ids, users, and the Plex owner rule.
#include <catch2/catch.hpp>

#include "ws/webhook_senders.h"

using namespace ws;

namespace {

ServerConfig server(const std::string& name, ServerType type, const std::string& uuid, const std::string& user = "") {
  ServerConfig s;
  s.name = name;
  s.type = type;
  s.url = "http://x";
  s.uuid = uuid;
  s.user = user;
  return s;
}

WebhookEvent event(ServerType type, const std::string& server_id, const std::string& user_id,
                   WebhookKind kind = WebhookKind::state_change) {
  WebhookEvent e;
  e.type = type;
  e.server_id = server_id;
  e.user_id = user_id;
  e.kind = kind;
  e.event_name = "test";
  return e;
}

const KeyScope kAll{true, {}};

}  // namespace

TEST_CASE("keys: the global key speaks for every server, a server's token only for its own", "[ingest][senders]") {
  ServersFile file;
  file.servers.push_back(server("plex_a", ServerType::plex, "aaa"));
  file.servers.back().webhook_token = "token-a";
  file.servers.push_back(server("jf", ServerType::jellyfin, "bbb", "u1"));
  file.servers.back().webhook_token = "token-a";  // shared: speaks for both
  file.servers.push_back(server("emby", ServerType::emby, "ccc", "u2"));
  file.servers.back().webhook_token = "token-e";
  WebhookSenders senders("global-key", file);
  REQUIRE(senders.has_keys());

  auto global = senders.authorize("global-key");
  REQUIRE(global);
  CHECK(global->all_servers);
  auto a = senders.authorize("token-a");
  REQUIRE(a);
  CHECK_FALSE(a->all_servers);
  CHECK(a->servers == std::vector<std::string>{"plex_a", "jf"});
  CHECK_FALSE(senders.authorize(""));
  CHECK_FALSE(senders.authorize("token-"));
  CHECK_FALSE(senders.authorize("token-ax"));
  CHECK_FALSE(senders.authorize("global-kez"));

  SECTION("a token speaking for another server's event is ignored, naming whose key it is") {
    auto m = senders.match(event(ServerType::emby, "ccc", "u2"), *a);
    CHECK_FALSE(m.server);
    REQUIRE(m.ignored);
    CHECK(*m.ignored == IgnoreReason::sender_not_configured);
    CHECK_THAT(m.sentence, Catch::Contains("plex_a") && Catch::Contains("emby") && !Catch::Contains("token-a"));
    auto own = senders.match(event(ServerType::emby, "ccc", "u2"), *senders.authorize("token-e"));
    REQUIRE(own.server);
    CHECK(own.server->name == "emby");
  }
  SECTION("no key configured at all refuses everything") {
    WebhookSenders none("", ServersFile{});
    CHECK_FALSE(none.has_keys());
    CHECK_FALSE(none.authorize("anything"));
  }
}

TEST_CASE("senders are matched by server id, ignoring case and dashes", "[ingest][senders]") {
  ServersFile file;
  file.servers.push_back(server("jf_home", ServerType::jellyfin, "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"));
  file.servers.push_back(server("jf_other", ServerType::jellyfin, "11112222333344445555666677778888", "6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"));
  WebhookSenders senders("k", file);

  auto m = senders.match(event(ServerType::jellyfin, "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0", "6A5B4C3D-2E1F-0A9B-8C7D-6E5F4A3B2C1D"), kAll);
  REQUIRE(m.server);
  CHECK(m.server->name == "jf_home");
  CHECK(m.hint.empty());

  SECTION("an unknown server id is not configured") {
    auto other = senders.match(event(ServerType::jellyfin, "99999999999999999999999999999999", "6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"), kAll);
    REQUIRE(other.ignored);
    CHECK(*other.ignored == IgnoreReason::sender_not_configured);
    CHECK_THAT(other.sentence, Catch::Contains("jf_home") && Catch::Contains("jf_other"));
  }
  SECTION("no server of that type") {
    auto none = senders.match(event(ServerType::emby, "x", "y"), kAll);
    REQUIRE(none.ignored);
    CHECK(*none.ignored == IgnoreReason::sender_not_configured);
    CHECK_THAT(none.sentence, Catch::Contains("no emby server"));
  }
  SECTION("another user of the right server") {
    auto other = senders.match(event(ServerType::jellyfin, "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "aaaa"), kAll);
    REQUIRE(other.ignored);
    CHECK(*other.ignored == IgnoreReason::other_user);
    CHECK_THAT(other.sentence, Catch::Contains("aaaa") && Catch::Contains("jf_home"));
  }
  SECTION("an item-added event needs no user") {
    auto added = senders.match(event(ServerType::jellyfin, "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "", WebhookKind::item_added), kAll);
    REQUIRE(added.server);
    CHECK(added.server->name == "jf_home");
  }
  SECTION("webhook.import: false ignores the server's webhooks") {
    ServersFile off = file;
    off.servers[0].webhook_import = false;
    WebhookSenders s2("k", off);
    auto ignored = s2.match(event(ServerType::jellyfin, "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"), kAll);
    REQUIRE(ignored.ignored);
    CHECK(*ignored.ignored == IgnoreReason::import_disabled);
    CHECK_THAT(ignored.sentence, Catch::Contains("jf_home"));
  }
}

TEST_CASE("two users of one server: the user decides which configured server an event is for", "[ingest][senders]") {
  ServersFile file;
  file.servers.push_back(server("emby_alice", ServerType::emby, "e3b0", "alice-id"));
  file.servers.push_back(server("emby_bob", ServerType::emby, "e3b0", "bob-id"));
  WebhookSenders senders("k", file);
  CHECK(senders.match(event(ServerType::emby, "e3b0", "bob-id"), kAll).server->name == "emby_bob");
  CHECK(senders.match(event(ServerType::emby, "e3b0", "alice-id"), kAll).server->name == "emby_alice");
  CHECK(*senders.match(event(ServerType::emby, "e3b0", "carol-id"), kAll).ignored == IgnoreReason::other_user);
}

TEST_CASE("a server with no recorded uuid matches by type only when it is the only one", "[ingest][senders]") {
  ServersFile one;
  one.servers.push_back(server("plex", ServerType::plex, ""));
  WebhookSenders senders("k", one);
  auto m = senders.match(event(ServerType::plex, "any-uuid", "1"), kAll);
  REQUIRE(m.server);
  CHECK(m.server->name == "plex");
  CHECK_THAT(m.hint, Catch::Contains("servers:test plex"));

  ServersFile two = one;
  two.servers.push_back(server("plex2", ServerType::plex, ""));
  WebhookSenders both("k", two);
  auto none = both.match(event(ServerType::plex, "any-uuid", "1"), kAll);
  REQUIRE(none.ignored);
  CHECK(*none.ignored == IgnoreReason::sender_not_configured);
  CHECK_THAT(none.hint, Catch::Contains("servers:test"));

  ServersFile recorded;
  recorded.servers.push_back(server("plex", ServerType::plex, "known"));
  WebhookSenders r("k", recorded);
  CHECK(*r.match(event(ServerType::plex, "another", "1"), kAll).ignored == IgnoreReason::sender_not_configured);
}

TEST_CASE("a Plex server with no user takes only its owner's plays", "[ingest][senders][plex_owner]") {
  ServersFile file;
  file.servers.push_back(server("plex", ServerType::plex, "uuid1"));
  file.servers[0].owner_id = "139113761";  // the plex.tv account id servers:test recorded
  WebhookSenders senders("k", file);

  SECTION("current PMS: the owner's plex.tv account id") {
    CHECK(senders.match(event(ServerType::plex, "uuid1", "139113761"), kAll).server);
  }
  SECTION("older PMS: the owner as local account 1") {
    CHECK(senders.match(event(ServerType::plex, "uuid1", "1"), kAll).server);
  }
  SECTION("a shared user's play sent to the owner's webhook") {
    auto m = senders.match(event(ServerType::plex, "uuid1", "23456789"), kAll);
    REQUIRE(m.ignored);
    CHECK(*m.ignored == IgnoreReason::other_user);
    CHECK_THAT(m.sentence, Catch::Contains("23456789") && Catch::Contains("not the owner of plex"));
    CHECK(m.hint.empty());
  }
  SECTION("with no owner recorded only account 1 is the owner, and the hint says what to run") {
    ServersFile unrecorded = file;
    unrecorded.servers[0].owner_id.clear();
    WebhookSenders s2("k", unrecorded);
    CHECK(s2.match(event(ServerType::plex, "uuid1", "1"), kAll).server);
    auto m = s2.match(event(ServerType::plex, "uuid1", "139113761"), kAll);
    REQUIRE(m.ignored);
    CHECK(*m.ignored == IgnoreReason::other_user);
    CHECK_THAT(m.hint, Catch::Contains("servers:test plex"));
  }
  SECTION("a `user` names the one account taken, and an older PMS's 1 when it is the owner") {
    ServersFile guest = file;
    guest.servers[0].user = "23456789";
    WebhookSenders s2("k", guest);
    CHECK(s2.match(event(ServerType::plex, "uuid1", "23456789"), kAll).server);
    CHECK(*s2.match(event(ServerType::plex, "uuid1", "139113761"), kAll).ignored == IgnoreReason::other_user);
    CHECK(*s2.match(event(ServerType::plex, "uuid1", "1"), kAll).ignored == IgnoreReason::other_user);

    ServersFile owner = file;
    owner.servers[0].user = "139113761";
    WebhookSenders s3("k", owner);
    CHECK(s3.match(event(ServerType::plex, "uuid1", "1"), kAll).server);
    CHECK(*s3.match(event(ServerType::plex, "uuid1", "23456789"), kAll).ignored == IgnoreReason::other_user);
  }
  SECTION("library.new carries the owner's account but is about the library") {
    CHECK(senders.match(event(ServerType::plex, "uuid1", "23456789", WebhookKind::item_added), kAll).server);
  }
}
