// The webhook path end to end: the real ws-ingest binary of a data folder, on a port chosen before
// it starts (so fake servers started earlier can echo to it and a restart keeps its URL), what it
// tells from outside (/healthz, /metrics), and the state as `watchstate state:backup` dumps it.
//
// Not thread-safe: one test thread owns each object. The ws-ingest process is stopped (SIGTERM,
// then SIGKILL) when its IngestProcess is destroyed.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "e2e_harness.h"

namespace ws::e2e {

// WS_E2E_INGEST (environment) or the ws-ingest this build made.
std::string ingest_binary();

// The webhook.* block of config.yaml for a test: key `apikey`, listening on 127.0.0.1:`port`,
// plus `extra` lines (indented by two spaces under webhook:, e.g. "  max_body: 4K\n").
std::string webhook_config(const std::string& apikey, int port, const std::string& extra = "");

class IngestProcess {
 public:
  // Starts ws-ingest for `folder` on 127.0.0.1:`port` and waits until it says it listens.
  // Throws std::runtime_error with its log when it does not come up within 20 s.
  IngestProcess(const DataFolder& folder, int port, std::string apikey);

  Process& process() { return *process_; }
  int port() const { return port_; }
  // Kills it with SIGKILL (no clean shutdown of anything) and waits for it.
  void kill();
  // Starts a new ws-ingest on the same port and folder (after kill() or a stop).
  void restart();

  // The URL a server of `type` posts to: http://127.0.0.1:PORT/?type=TYPE&apikey=KEY.
  std::string webhook_url(const std::string& type) const;
  // GET /healthz; throws when it does not answer.
  nlohmann::json healthz() const;
  // GET /metrics as name (with its labels, as printed) -> value; throws when it does not answer.
  std::map<std::string, double> metrics() const;
  // One number of metrics(): 0 when absent (a counter never incremented prints no line).
  double metric(const std::string& name) const;
  // Spool depth and failed count as /healthz says.
  size_t spool_depth() const;
  size_t spool_failed() const;

  std::string logs() const { return process_ ? process_->tail() : ""; }

 private:
  void start();

  const DataFolder& folder_;
  int port_;
  std::string apikey_;
  int starts_ = 0;
  std::optional<Process> process_;
};

// An HTTP answer of ingest: status, X-Status and body ("" and status -1 when it did not answer).
struct HttpAnswer {
  int status = -1;
  std::string x_status;
  std::string body;
};
// POSTs `body` to ingest at 127.0.0.1:`port` + `target` (path and query) as `content_type`.
HttpAnswer post_raw(int port, const std::string& target, const std::string& body, const std::string& content_type,
                    const std::map<std::string, std::string>& headers = {});

// The state through `watchstate state:backup` (read-only; works while a reconciler runs): every
// record as the backup writes it, keyed by its "server/item id" for each server's metadata.
// of() throws std::runtime_error with the command's output when state:backup fails.
class StateDump {
 public:
  static StateDump of(const DataFolder& folder);

  // The record holding `server`'s item `item_id`; nullptr when the state has none.
  const nlohmann::json* record(const std::string& server, const std::string& item_id) const;
  bool watched(const std::string& server, const std::string& item_id) const;
  // The record's progress in ms (0 when none).
  int64_t progress_ms(const std::string& server, const std::string& item_id) const;
  const nlohmann::json& records() const { return records_; }

  // Per record, keyed by its sorted "server/item id" list plus season/episode: "watched=W
  // progress=MS". Two states of fakes with the same server ids compare equal with this.
  std::map<std::string, std::string> flags_and_progress() const;

 private:
  nlohmann::json records_ = nlohmann::json::array();
  std::map<std::string, size_t> by_item_;
};

}  // namespace ws::e2e
