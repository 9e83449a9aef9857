// The backend clients a job worker keeps between jobs, per server: a job names a server, the
// worker asks here for clients of it. servers.yaml is read through a ServerDirectory (urls and
// tokens never cross the wire); a server whose entry changed since its clients were made (url,
// token, timeouts...) gets new ones. A server's clients share one SeriesCache, which lives as
// long as they do (keep-alive and series ids carry over from job to job).
//
// Threads: one caller at a time (a worker's job thread). The clients handed out may be used by
// threads the job starts and joins before the next call.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ws/backend_client.h"
#include "ws/result.h"
#include "ws/server_directory.h"
#include "ws/worker_options.h"

namespace ws {

class ServerClients {
 public:
  struct Pool {
    ServerConfig config;
    std::shared_ptr<SeriesCache> series;
    std::vector<std::unique_ptr<BackendClient>> clients;  // grows on demand, never shrinks
  };

  // `role` ("fetcher", "exporter") and options.name word the errors; options.servers limits the
  // servers served (empty: any); options.backend builds the clients. Reads servers.yaml now; a
  // bad file is logged here and reported on each job until it is fixed.
  ServerClients(const WorkerOptions& options, std::string role);

  // The pool of `server` with at least `count` clients. Errors: unavailable when this worker
  // does not serve the server (another worker may: worth another attempt), not_found when
  // servers.yaml does not list it, and the file's own error when it cannot be read.
  Result<Pool*> clients_for(const std::string& server, size_t count);

 private:
  std::string role_;
  std::string name_;
  std::vector<std::string> served_;
  BackendOptions backend_;
  ServerDirectory directory_;
  std::map<std::string, Pool> pools_;
};

}  // namespace ws
