// The files `config:dump` writes. config_test.cpp loads both, so they cannot go stale: the
// servers example must load without a warning and the config example must equal the defaults.
#include "ws/config.h"

namespace ws {

std::string example_servers_yaml() {
  return R"(# servers.yaml: one entry per media server (see docs/configuration.md).
# The entry's name (my_plex) is how the server is called everywhere: logs, the state, `-s NAME`.
# Tokens are secrets: this file is written with mode 0600 and tokens are never logged.
my_plex:
  type: plex                        # plex | jellyfin | emby
  url: 'http://192.168.1.10:32400'
  token: 'your-plex-token'          # the X-Plex-Token
  uuid: ''                          # server id; recorded by servers:test or the first import
  import:
    enabled: true
    lastSync: null
  export:
    enabled: true
    lastSync: null
  options:
    ignore: ''                      # library ids to skip, comma separated, e.g. '3,7'
    timeout: 30                     # seconds per request
my_jellyfin:
  type: jellyfin
  url: 'http://192.168.1.11:8096'
  token: 'your-jellyfin-api-key'
  user: 'your-jellyfin-user-id'     # an API key has no user: the user id is needed
  import:
    enabled: true
    lastSync: null
  export:
    enabled: true
    lastSync: null
my_emby:
  type: emby
  url: 'http://192.168.1.12:8096'
  token: 'your-emby-api-key'
  user: 'your-emby-user-id'
  import:
    enabled: true
    lastSync: null
  export:
    enabled: false
    lastSync: null
)";
}

std::string example_config_yaml() {
  return R"(# config.yaml: every key, with its default (see docs/configuration.md).
# Each key has a WS_* environment override: webhook.apikey -> WS_WEBHOOK_APIKEY, log.level ->
# WS_LOG_LEVEL, and so on. Durations accept 30, 30s, 15m, 1h.
webhook:
  apikey: ''                        # secret; `watchstate config:generate` creates one
  listen: '0.0.0.0:8081'
  max_body: 1048576                 # bytes
  spool_max: 100000                 # accepted events kept until the reconciler acks them
  max_attempts: 10                  # refusals before an event moves to the failed list
import:
  every: 0                          # 0 = no schedule, else e.g. 1h
  full_every: 1d                    # a full import at least this often; deltas in between (0 = always full)
  delta_margin: 5m                  # deltas start this long before the last import's start
  jellyfin_delta: false             # Jellyfin's filter misses watch-state changes: full unless webhooks carry them
  prune_guard: 0.1                  # refuse to prune more than 10% of a server's items at once
export:
  every: 0
  concurrency: 4                    # concurrent write requests per server
  guard: 0.1                        # refuse plans unmarking more than 10% of a server's played items
  guard_window: 24h                 # ... counting the unmarks written there within this window
  max_ignored: 3                    # writes a server ignores are retried this often, then reported
page_size: 500                      # items per page asked of a server
progress:
  min_delta: 5s                     # a resume position must move more than this
  rewatch_threshold: 3m             # progress on a played item is kept past this
mapper:
  multi_episode_max: 5              # most episodes one multi-episode file becomes
log:
  level: info                       # trace | debug | info | warn | error
  format: text                      # text | json
endpoints:
  workers: 'tcp://127.0.0.1:5560'
  events: 'tcp://127.0.0.1:5561'
  control: 'tcp://127.0.0.1:5562'
  max_message: 16M                  # largest message a process accepts
jobs:
  lease: 60s
  max_attempts: 3
  queue_timeout: 60s                # a job no connected worker can take fails after this
store:
  map_size: 8G                      # the state's ceiling (LMDB map size); K, M, G, T suffixes
)";
}

}  // namespace ws
