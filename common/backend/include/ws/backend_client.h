// The face of the backend clients (DESIGN §11): one interface, one implementation per server type.
// A fetcher pulls (server, library, page range) jobs and calls count_items / fetch_page; an
// exporter calls mark_played / mark_unplayed / set_progress. Everything they return is normalized
// (MediaItem); no caller sees a server's JSON.
//
// Threads: a client is NOT thread-safe. Make one per worker thread; it keeps its connection open
// between calls (keep-alive). Clients of one server may share a SeriesCache (thread-safe).
// Memory: a call holds at most one server page (plus the series ids cache).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ws/backend_http.h"
#include "ws/config.h"
#include "ws/http_transport.h"
#include "ws/media_item.h"
#include "ws/result.h"
#include "ws/series_cache.h"

namespace ws {

struct ServerIdentity {
  std::string id;         // Plex machineIdentifier, Jellyfin/Emby System/Info Id (= webhook server id)
  std::string name;       // the server's own name (friendlyName / ServerName); may be empty
  std::string version;
  std::string user_id;    // Jellyfin/Emby: the configured user, checked to exist; Plex: ""
  std::string user_name;  // Jellyfin/Emby: that user's name
};

struct Library {
  std::string id;
  std::string title;
  MediaType kind = MediaType::movie;  // movie library, or a shows library (its items are episodes)
  bool ignored = false;               // listed in options.ignore: callers skip it
  // > 0: an incremental import (DESIGN §5): count_items and fetch_page list only what the server's
  // change filter reports changed since this time (unix seconds), with the filter's blind spots
  // (docs/configuration.md "Incremental import"): Plex `lastViewedAt>>=` OR `addedAt>>=` (a play
  // or a new item; never an unmark), Jellyfin and Emby `MinDateLastSavedForUser` (Emby: user data
  // saved; Jellyfin: the item's metadata saved — new or re-scanned items, no watch-state change).
  int64_t changed_since = 0;
};

struct ItemPage {
  std::vector<MediaItem> items;
  int64_t total = 0;  // items in the library as the server reported with this page
  int64_t start = 0;  // index of the page's first entry
  int64_t skipped = 0;  // entries of the range that were not a movie/episode or were unreadable
  // Entries of the server's list this page covers: items + skipped. The next page starts there.
  int64_t covered() const { return static_cast<int64_t>(items.size()) + skipped; }
};

struct BackendOptions {
  std::string client_identifier = "watchstate";  // Plex X-Plex-Client-Identifier, MediaBrowser DeviceId
  std::string product = "watchstate";
  std::string version = "0.1.0";
  RetryPolicy retry;
  // Seam (STYLE 14): builds the transport; default make_curl_transport.
  std::function<std::unique_ptr<HttpTransport>(const TransportOptions&)> transport_factory;
  // Series ids shared between clients of the same server (e.g. the threads of one fetcher);
  // null: the client keeps its own for its lifetime ("for the run").
  std::shared_ptr<SeriesCache> series_cache;
  // Overrides ServerConfig's whole-second timeouts when non-zero (tests use short ones).
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds connect_timeout{0};
  // Where plex_owner_account() asks for the owner's plex.tv account id; empty: never ask.
  std::string plex_tv_url = "https://plex.tv";
};

class BackendClient {
 public:
  // Ids asked in one request by fetch_items: long enough to save requests, short enough that
  // the URL stays far below the 8 KiB servers and proxies accept (Jellyfin ids are 32 digits).
  static constexpr size_t kItemsPerRead = 50;

  virtual ~BackendClient() = default;

  // The server's id, name and version. Also proves the token works, and on Jellyfin/Emby that the
  // configured user exists (an empty or unknown user is an error that lists the server's users).
  virtual Result<ServerIdentity> identity() = 0;

  // Movie and show libraries, in the server's order; others (music, photos) are left out.
  // Libraries named in options.ignore are listed with `ignored = true`.
  virtual Result<std::vector<Library>> libraries() = 0;

  // How many items fetch_page can return for the library (movies, or episodes of a shows library).
  virtual Result<int64_t> count_items(const Library& library) = 0;

  // Items [start, start + size) of the library in a stable order (oldest added first). Servers may
  // answer with fewer items than asked: this keeps asking until it has `size` items or the total is
  // reached, so the page holds min(size, total - start) items unless the library shrank meanwhile.
  // Episodes carry their series' ids (fetched once per series, cached).
  virtual Result<ItemPage> fetch_page(const Library& library, int64_t start, int64_t size) = 0;

  // One item by the server's id (library_id may be empty on Jellyfin/Emby).
  virtual Result<MediaItem> fetch_item(const std::string& item_id) = 0;

  // Several items by the server's ids, as the server reports them now, read in batches of
  // kItemsPerRead (Plex `/library/metadata/1,2,3`, Jellyfin/Emby `Ids=a,b,c`): what an exporter
  // reads before and after its writes (DESIGN §5 "After a write"). An id the server does not
  // list (removed, never there) is missing from the answer, never an error; repeated ids are
  // asked once. Order of the answer: the server's. library_id may be empty on Jellyfin/Emby.
  virtual Result<std::vector<MediaItem>> fetch_items(const std::vector<std::string>& item_ids) = 0;

  // Marks played. `played_at` (unix seconds) is sent where the server accepts a date (Jellyfin,
  // Emby); Plex always records "now".
  virtual Result<Ok> mark_played(const MediaItem& item, int64_t played_at) = 0;
  virtual Result<Ok> mark_unplayed(const MediaItem& item) = 0;
  // Sets the resume position (0 clears it).
  virtual Result<Ok> set_progress(const MediaItem& item, int64_t position_ms) = 0;

  // Requests sent and bytes received so far by this client.
  virtual const HttpStats& stats() const = 0;
};

// The client for `server.type`. Never fails: errors surface on the first call (an invalid url
// gives a clear error there).
std::unique_ptr<BackendClient> make_backend_client(const ServerConfig& server, const BackendOptions& options);

// Plex only: the server owner's account as webhooks name it (DESIGN §8: a Plex server with no
// `user` accepts only its owner's plays). PMS `GET /accounts` lists the owner (local id 1 on a real
// server, which older PMS builds also put in webhooks); plex.tv `GET /api/v2/user` with the same
// token gives the plex.tv account id, which current builds put in webhooks. plex.tv is asked
// only when options.plex_tv_url is set; when it cannot answer, `plextv_error` says why and
// `plextv_id` stays empty. An error only when /accounts itself fails.
struct PlexOwnerAccount {
  std::string local_id;  // the owner in PMS /accounts
  std::string name;      // the owner's name there
  std::string plextv_id; // plex.tv account id; may be empty
  std::string plextv_error;
  // What servers.yaml `owner_id` records: the plex.tv id when known, else the local id.
  std::string webhook_id() const { return plextv_id.empty() ? local_id : plextv_id; }
};
Result<PlexOwnerAccount> plex_owner_account(const ServerConfig& server, const BackendOptions& options);

// Walks every item of a library page by page (each page is dropped before the next is fetched),
// calling `on_page`; stops at the first error (its own or the callback's). Returns the number of
// items seen.
Result<int64_t> for_each_page(BackendClient& client, const Library& library, int64_t page_size,
                              const std::function<Result<Ok>(ItemPage&)>& on_page);

}  // namespace ws
