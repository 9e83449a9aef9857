// The ZAP handler with real CURVE sockets in this thread: a ROUTER with CURVE on loopback (the
// rule that turns CURVE on is tested in curve_keys_test; here the sockets are set by hand), and
// DEALER clients with a known key, an unknown key, and a key of a role not allowed there.
#include "ws/zap_handler.h"

#include <atomic>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>

#include "ws/curve_keys.h"
#include "ws/logging.h"

namespace {

using namespace std::chrono_literals;
using ws::CurveKeypair;
using ws::ZapHandler;

CurveKeypair keypair() {
  auto pair = ws::new_curve_keypair();
  REQUIRE(pair.ok());
  return *pair;
}

std::string raw(const CurveKeypair& pair) { return *ws::curve_key_bytes(pair.public_z85); }

// Polls the server and the handler until the server got a message or `limit` passed; the
// message's first data frame, or "" when none came.
std::string serve_until_message(zmq::socket_t& server, ZapHandler& zap, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t items[] = {{server.handle(), 0, ZMQ_POLLIN, 0}, {zap.socket().handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, 20ms);
    zap.drain();
    zmq::message_t id, body;
    if (server.recv(id, zmq::recv_flags::dontwait)) {
      (void)server.recv(body);
      return body.to_string();
    }
  }
  return "";
}

}  // namespace

TEST_CASE("the ZAP handler admits the keys of the roles allowed on an endpoint and refuses others", "[zap][curve]") {
  REQUIRE(ws::curve_available());
  zmq::context_t context;
  const CurveKeypair server_keys = keypair(), fetcher = keypair(), cli = keypair(), stranger = keypair();
  ZapHandler::AllowedKeys allowed;
  allowed["workers"][raw(fetcher)] = "fetcher";
  allowed["control"][raw(cli)] = "cli";
  auto zap = ZapHandler::bind(context, allowed);
  REQUIRE(zap.ok());

  zmq::socket_t server(context, zmq::socket_type::router);
  server.set(zmq::sockopt::linger, 0);
  ws::apply_curve_server(server, server_keys, "workers");
  server.bind("tcp://127.0.0.1:*");
  const std::string endpoint = server.get(zmq::sockopt::last_endpoint);

  auto client = [&](const CurveKeypair& own) {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    ws::apply_curve_client(socket, ws::CurveClientKeys{own, server_keys.public_z85});
    socket.connect(endpoint);
    socket.send(zmq::str_buffer("hello"), zmq::send_flags::dontwait);
    return socket;
  };

  SECTION("a known key of an allowed role gets through") {
    auto socket = client(fetcher);
    CHECK(serve_until_message(server, **zap, 5s) == "hello");
    CHECK((*zap)->accepted() == 1);
    CHECK((*zap)->refused() == 0);
  }
  SECTION("an unknown key is refused, and so is a known key of a role not allowed on this endpoint") {
    for (const auto* keys : {&stranger, &cli}) {
      auto socket = client(*keys);
      const int before = (*zap)->refused();
      // The refusal is what is waited for; the message must never arrive.
      const auto deadline = std::chrono::steady_clock::now() + 5s;
      std::string got;
      while ((*zap)->refused() == before && std::chrono::steady_clock::now() < deadline)
        got += serve_until_message(server, **zap, 20ms);
      CHECK((*zap)->refused() > before);
      CHECK(got.empty());
    }
    CHECK((*zap)->accepted() == 0);
  }
  SECTION("a second handler in one context is refused") {
    auto second = ZapHandler::bind(context, {});
    REQUIRE_FALSE(second.ok());
    CHECK_THAT(second.error().message, Catch::Contains("zeromq.zap.01"));
  }
}

TEST_CASE("the roles allowed on each endpoint", "[zap][curve]") {
  CHECK(ZapHandler::roles_for("workers") == std::vector<std::string>{"fetcher", "exporter"});
  CHECK(ZapHandler::roles_for("events") == std::vector<std::string>{"ingest"});
  CHECK(ZapHandler::roles_for("control") == std::vector<std::string>{"cli"});
  CHECK(ZapHandler::roles_for("other").empty());
}

TEST_CASE("a refused key is logged with its fingerprint once a minute, then with the count held back", "[zap][curve]") {
  REQUIRE(ws::curve_available());
  std::ostringstream log;
  REQUIRE(ws::setup_logging(0, "warn", "text", &log).ok());
  {
    zmq::context_t context;
    std::atomic<int64_t> seconds{0};
    auto clock = [&] { return ZapHandler::Clock::time_point(std::chrono::seconds(seconds.load())); };
    const CurveKeypair server_keys = keypair(), stranger = keypair();
    auto zap = ZapHandler::bind(context, {}, clock);
    REQUIRE(zap.ok());
    zmq::socket_t server(context, zmq::socket_type::router);
    server.set(zmq::sockopt::linger, 0);
    ws::apply_curve_server(server, server_keys, "workers");
    server.bind("tcp://127.0.0.1:*");
    // libzmq does not retry a connection whose handshake was refused: each attempt is a new
    // socket, as a worker's reconnect is.
    std::vector<zmq::socket_t> attempts;
    const std::string endpoint = server.get(zmq::sockopt::last_endpoint);
    auto refused_once_more = [&] {
      const int before = (*zap)->refused();
      attempts.emplace_back(context, zmq::socket_type::dealer);
      attempts.back().set(zmq::sockopt::linger, 0);
      ws::apply_curve_client(attempts.back(), ws::CurveClientKeys{stranger, server_keys.public_z85});
      attempts.back().connect(endpoint);
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while ((*zap)->refused() == before && std::chrono::steady_clock::now() < deadline)
        serve_until_message(server, **zap, 20ms);
      return (*zap)->refused() > before;
    };
    auto lines = [&] {
      const std::string text = log.str();
      size_t n = 0;
      for (size_t at = text.find("refused a client"); at != std::string::npos; at = text.find("refused a client", at + 1))
        ++n;
      return n;
    };
    for (int i = 0; i < 3; ++i) REQUIRE(refused_once_more());
    CHECK(lines() == 1);
    CHECK_THAT(log.str(), Catch::Contains("key fingerprint " + ws::curve_fingerprint(stranger.public_z85)));
    CHECK_THAT(log.str(), !Catch::Contains(stranger.secret_z85) && !Catch::Contains(server_keys.secret_z85));

    seconds = 61;
    REQUIRE(refused_once_more());
    CHECK(lines() == 2);
    CHECK_THAT(log.str(), Catch::Contains("more refusals of this key held back"));
  }
  REQUIRE(ws::setup_logging(0, "warn", "text").ok());  // the stream goes out of scope
}
