// Configuration (DESIGN §6): servers.yaml in the seed's shape, config.yaml, and WS_* environment
// overrides. Loading never logs a secret; every error names the file, the line and the key.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ws/protocol.h"
#include "ws/result.h"

namespace ws {

enum class ServerType { plex, jellyfin, emby };
std::string_view to_string(ServerType type);
std::optional<ServerType> parse_server_type(std::string_view text);

struct ServerConfig {
  std::string name;   // the key in servers.yaml
  ServerType type = ServerType::plex;
  std::string url;    // base URL, no trailing slash
  std::string token;  // secret
  std::string uuid;   // server id; may be empty until servers:test / first import
  std::string user;   // jellyfin/emby user id (also read from options.user); plex: account id
  // Plex: the owner's account id as webhooks name it (servers:test records it: the plex.tv account
  // id, or PMS /accounts' owner). With no `user`, a Plex server's webhooks are accepted only for
  // this account or local account 1 (what older PMS builds sent for the owner). Not secret.
  std::string owner_id;
  bool import_enabled = true;
  bool export_enabled = true;
  int64_t import_last_sync = 0;  // as shown in servers.yaml for compatibility; LMDB is the truth
  int64_t export_last_sync = 0;
  std::vector<std::string> ignored_libraries;  // options.ignore: "3,7"
  int timeout_s = 30;                          // options.timeout: total request timeout
  int connect_timeout_s = 10;                  // options.connect_timeout
  bool verify_tls = true;                      // options.client.verify_host / verify_tls
  int page_size = 0;                           // options.page_size; 0 = config.yaml default
  // options.DRY_RUN (WatchState's "never change this server"): nothing is written to it, neither
  // by state:export nor by a webhook's push; its imports and webhooks are read as usual.
  bool dry_run = false;
  // options.DISABLE_MARK_UNPLAYED (WatchState's): plays are written to this server, unmarks never.
  bool mark_unplayed = true;
  // The seed's per-server `webhook:` block (early preview): kept so old files load unchanged.
  std::string webhook_token;  // webhook.token: the seed's per-server key; secret
  bool webhook_import = true;  // webhook.import: accept this server's webhooks
  bool webhook_push = true;    // webhook.push: push webhook-driven changes to this server

  // Whether anything may be written to this server: export.enabled and not options.DRY_RUN.
  bool writable() const { return export_enabled && !dry_run; }
};

// Items per page asked of a server (config.yaml `page_size`, servers.yaml `options.page_size`).
inline constexpr int kPageSizeMin = 10;
inline constexpr int kPageSizeMax = 10000;

struct WebhookConfig {
  std::string apikey;                  // secret
  std::string listen = "0.0.0.0:8081";
  size_t max_body = 1 << 20;
  size_t spool_max = 100000;  // accepted events ingest holds before answering 503
  int max_attempts = 10;      // refusals of one event before it moves to the failed list
};

struct EndpointsConfig {
  std::string workers = "tcp://127.0.0.1:5560";  // ROUTER for fetchers and exporters
  std::string events = "tcp://127.0.0.1:5561";   // ROUTER for ingest
  std::string control = "tcp://127.0.0.1:5562";  // ROUTER for the CLI
  size_t max_message = protocol::kDefaultMaxMessage;  // bytes; ZMQ_MAXMSGSIZE on every socket
};

struct StoreConfig {
  // LMDB map size: the address space reserved for the state; the file grows up to it. A commit
  // that needs more fails (the reconciler re-reads this key and re-opens at its next request).
  size_t map_size = size_t(8) << 30;
};

struct AppConfig {
  WebhookConfig webhook;
  std::chrono::seconds import_every{0};  // 0 = no schedule
  std::chrono::seconds export_every{0};
  // Incremental import (DESIGN §5): a server is imported whole at least this often (0: always);
  // between, by delta from its last import's start less the margin.
  std::chrono::seconds import_full_every{24 * 3600};
  std::chrono::seconds import_delta_margin{300};
  bool import_jellyfin_delta = false;  // Jellyfin's filter misses every watch-state change
  int page_size = 500;                   // items per page asked of a server
  int export_concurrency = 4;            // concurrent write requests per server
  int progress_min_delta_s = 5;          // rule 5: a move of more than this counts
  int progress_rewatch_threshold_s = 180;  // rule 5: progress on a played item kept past this
  int multi_episode_max = 5;             // rule 6
  double export_guard_share = 0.10;      // refuse plans unmarking more than this share...
  int export_guard_window_s = 86'400;    // ...of the unmarks written within this window
  int export_max_ignored = 3;            // a write the server ignored this often is not planned again
  double import_prune_guard_share = 0.10;  // refuse prunes (rule 8) of more than this share of a server's items
  std::string log_level = "info";        // trace|debug|info|warn|error
  std::string log_format = "text";       // text|json
  EndpointsConfig endpoints;
  int job_lease_s = 60;
  int job_max_attempts = 3;
  int job_queue_timeout_s = 60;          // a job no connected worker can take fails after this
  StoreConfig store;
};

// A warning found while loading (an unknown key, an ignored seed key). Never holds a secret.
struct ConfigWarning {
  std::string message;
};

struct ServersFile {
  std::vector<ServerConfig> servers;  // in file order
  std::vector<ConfigWarning> warnings;
  const ServerConfig* find(std::string_view name) const;
};

struct ConfigFile {
  AppConfig config;
  std::vector<ConfigWarning> warnings;
};

// The data folder and the files in it.
struct DataPaths {
  std::filesystem::path root;  // $WS_DATA_PATH, default ./var
  std::filesystem::path config_dir() const { return root / "config"; }
  std::filesystem::path servers_file() const { return config_dir() / "servers.yaml"; }
  std::filesystem::path config_file() const { return config_dir() / "config.yaml"; }
  // CURVE keys (ws/curve_keys.h): made by config:generate, read when an endpoint is not loopback.
  std::filesystem::path keys_dir() const { return config_dir() / "keys"; }
  std::filesystem::path db_dir() const { return root / "db"; }
  std::filesystem::path spool_dir() const { return root / "spool"; }
  std::filesystem::path logs_dir() const { return root / "logs"; }

  // From WS_DATA_PATH or ./var.
  static DataPaths from_environment();
};

// A missing file is an empty list / the defaults, not an error. The file loaders also register
// every secret they read for redaction (add_log_secrets), and warn when the file is readable by
// group or others (exposed_file_warning); parse_* only parse.
Result<ServersFile> load_servers(const std::filesystem::path& file);
Result<ServersFile> parse_servers(std::string_view yaml_text, const std::string& file_name);
// Applies WS_* overrides on top of the file (see docs/configuration.md for the list).
Result<ConfigFile> load_config(const std::filesystem::path& file);
Result<ConfigFile> parse_config(std::string_view yaml_text, const std::string& file_name);

// Writes servers.yaml back (for `uuid` recorded by servers:test), mode 0600, atomically
// (write to a temporary file, rename).
Result<Ok> save_servers(const std::filesystem::path& file, const ServersFile& servers);

// Every secret in the loaded files (server tokens, webhook keys), for redact_secrets().
std::vector<std::string> secrets_of(const ServersFile& servers);
std::vector<std::string> secrets_of(const AppConfig& config);

// "30" (seconds), "30s", "15m", "1h", "2d", or a sum like "1h30m"; nullopt when malformed.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
// The largest whole unit that fits: "2d", "24h" is "1d", "90m", "45s" (messages and docs).
std::string format_duration(std::chrono::seconds value);

// One config.yaml key, its WS_* variable, default and allowed range: docs/configuration.md
// lists exactly these (a test checks it).
struct ConfigKeyDoc {
  std::string key;      // dotted path, e.g. "webhook.apikey"
  std::string env;      // e.g. "WS_WEBHOOK_APIKEY"
  std::string default_value;
  std::string range;    // allowed values, e.g. "1..64" or "text, json"
  std::string description;
  bool secret = false;
};
const std::vector<ConfigKeyDoc>& config_key_docs();

// Applies WS_* overrides from `getenv` (a seam for tests; load_config passes ::getenv). Errors
// name the variable, never a secret's value.
using EnvLookup = std::function<const char*(const char*)>;
Result<Ok> apply_env_overrides(ConfigFile& config, const EnvLookup& getenv);

// Example files written by `config:dump`.
std::string example_servers_yaml();
std::string example_config_yaml();

// Writes `text` to `file` with mode 0600, creating parent folders. Refuses to overwrite an
// existing file unless `overwrite`.
Result<Ok> write_private_file(const std::filesystem::path& file, std::string_view text, bool overwrite);

// A warning naming `file` and `chmod 600` when group or others may read it (it holds tokens or
// the webhook key); nullopt when it is private or cannot be inspected.
std::optional<ConfigWarning> exposed_file_warning(const std::filesystem::path& file);

}  // namespace ws
