// The options of one fake server, as given on ws-fakeserver's command line (a contract other
// tools rely on: see tests/fakes/README.md). Defaults are filled and ranges checked by
// finalize_options(), which names the flag and the allowed range on a bad value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ws/result.h"

namespace ws::fake {

enum class ServerType { plex, jellyfin, emby };

std::optional<ServerType> parse_server_type(std::string_view text);
const char* to_string(ServerType type);

struct CatalogOptions {
  uint64_t seed = 1;   // --catalog: same seed, same movies and series on every fake
  int movies = 20;     // --movies  [0, 1000000]
  int shows = 3;       // --shows   [0, 100000]
  int seasons = 2;     // --seasons [1, 100], per show
  int episodes = 5;    // --episodes [1, 1000], per season
};

struct StateOptions {
  std::optional<uint64_t> seed;  // --state-seed; defaults to 1 when --watched/--progress is given
  double watched_pct = 0;        // --watched  [0, 100]: share of items played
  double progress_pct = 0;       // --progress [0, 100]: share of unplayed items with a position
};

struct FakeOptions {
  ServerType type = ServerType::plex;
  std::string bind = "127.0.0.1";
  int port = 0;                  // 0: any free port, printed on stdout
  std::string token;             // required; never printed
  std::string user_id;           // default: "1" (Plex account) or 32 hex derived from the server
  std::string server_id;         // default: derived from type and port
  std::string name;              // default: "fake-<type>-<port>"
  CatalogOptions catalog;
  StateOptions state;
  int page_max = 0;              // --page-max: at most this many items per page (0: no cap)
  int latency_ms = 0;            // --latency-ms [0, 60000] added before every server answer
  std::string fail;              // --fail spec, see fault_injector.h
  int hang_seconds = 60;         // how long a "hang" fault holds a request (bounded: clean exit)
  bool split_multi_episode = false;  // Jellyfin/Emby: multi-episode files listed as split files
  std::string webhook_url;       // --webhook-url: where /__fake/webhook posts by default (and echoes)
  bool echo_webhooks = false;    // --echo-webhooks: API writes send the webhook the real server sends
};

// Checks ranges and fills defaults that depend on the bound port. Error names the flag.
Result<Ok> finalize_options(FakeOptions& options, int bound_port);

}  // namespace ws::fake
