// ws-fakeserver: a fake Plex, Jellyfin or Emby server for tests, benchmarks and the demo.
// Flags → options → FakeServer → run until SIGINT/SIGTERM. See README.md for the contract.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>

#include <CLI/CLI.hpp>

#include "fake_server.h"

int main(int argc, char** argv) {
  ws::fake::FakeOptions o;
  std::string type;
  uint64_t state_seed = 0;
  CLI::App app{"ws-fakeserver: a fake Plex, Jellyfin or Emby server (tests, benchmarks, demo)"};
  app.add_option("--type", type, "plex, jellyfin or emby")->required()->check(CLI::IsMember({"plex", "jellyfin", "emby"}));
  app.add_option("--port", o.port, "port to listen on (0: any free port, printed on stdout)")->required();
  app.add_option("--bind", o.bind, "address to listen on")->capture_default_str();
  app.add_option("--token", o.token, "the token clients must send")->required();
  app.add_option("--user-id", o.user_id, "the user's id (default: 1 on Plex, 32 hex otherwise)");
  app.add_option("--server-id", o.server_id, "machineIdentifier / server Id (default: derived from type and port)");
  app.add_option("--name", o.name, "server name (default: fake-<type>-<port>)");
  app.add_option("--catalog", o.catalog.seed, "catalogue seed: same seed, same media on every fake")->capture_default_str();
  app.add_option("--movies", o.catalog.movies, "number of movies")->capture_default_str();
  app.add_option("--shows", o.catalog.shows, "number of series")->capture_default_str();
  app.add_option("--seasons", o.catalog.seasons, "seasons per series")->capture_default_str();
  app.add_option("--episodes", o.catalog.episodes, "episodes per season")->capture_default_str();
  auto* seed_opt = app.add_option("--state-seed", state_seed, "seed of the initial watch state");
  app.add_option("--watched", o.state.watched_pct, "percent of items played initially")->capture_default_str();
  app.add_option("--progress", o.state.progress_pct, "percent of unplayed items part-watched")->capture_default_str();
  app.add_option("--page-max", o.page_max, "at most N items per page, whatever was asked (0: no cap)");
  app.add_option("--latency-ms", o.latency_ms, "added to every server answer");
  app.add_option("--fail", o.fail, "faults, e.g. 500:0.1,429:0.05,hang:0.01,truncate:0.01");
  app.add_option("--hang-seconds", o.hang_seconds, "how long a hang fault holds a request")->capture_default_str();
  app.add_flag("--split-multi-episode", o.split_multi_episode,
               "Jellyfin/Emby: list each multi-episode file as split single-episode files (Plex always lists "
               "the parts as items of their own)");
  app.add_option("--webhook-url", o.webhook_url, "default URL of /__fake/webhook, and where echoes go");
  app.add_flag("--echo-webhooks", o.echo_webhooks,
               "Jellyfin/Emby: after a played/unplayed (or Jellyfin user data) write through the API, send the "
               "webhook the real server sends to --webhook-url");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  o.type = *ws::fake::parse_server_type(type);
  if (*seed_opt) o.state.seed = state_seed;
  if (o.hang_seconds < 1 || o.hang_seconds > 3600) {
    std::fprintf(stderr, "ws-fakeserver: --hang-seconds %d is out of range [1, 3600]\n", o.hang_seconds);
    return 2;
  }

  // Signals go to a waiting thread, not a handler: stop() is not async-signal-safe.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  ws::fake::FakeServer server(o);
  auto port = server.bind();
  if (!port) {
    std::fprintf(stderr, "ws-fakeserver: %s\n", port.error().message.c_str());
    return port.error().kind == ws::ErrorKind::invalid_input ? 2 : 1;
  }
  const auto& opts = server.options();
  std::printf("ws-fakeserver %s listening on %s:%d (server id %s, user id %s, %zu movies, %zu episodes)\n",
              ws::fake::to_string(opts.type), opts.bind.c_str(), *port, opts.server_id.c_str(),
              opts.user_id.c_str(), server.catalog().movies().size(), server.catalog().episodes().size());
  std::fflush(stdout);

  std::thread signal_waiter([&server, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    // Idle keep-alive connections may hold workers a few seconds; don't make the caller wait.
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::seconds(3));
      std::_Exit(0);
    }).detach();
    server.stop();
  });
  server.run();
  // run() also returns if listening failed; wake the waiter so it can be joined.
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  return 0;
}
