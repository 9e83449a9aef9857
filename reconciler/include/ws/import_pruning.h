// Rule 8 (DESIGN §5 "Reconciliation"), the import's half: deleted media. When a server's full
// import succeeded, what the state holds for that server and the server no longer lists is
// pruned: that server's metadata in the record and its backend key (`<server>/<item id>`, or a
// multi-episode part's `<server>/<item id>/E<n>`). The record itself stays — its state is the
// user's history, other servers may still have the item — and a record left with no server at
// all is an orphan (`state:list --orphans`).
//
// The pruning guard stands before it: a library re-created on the server, or a share that was
// offline while the server scanned, would otherwise prune a whole server in one import. A prune
// of more than `share` of the server's items (and more than `floor` of them) is refused whole,
// until forced (`state:import -f --force`).
//
// One per server and import run. It remembers the backend keys the import listed, in memory
// only (a few MB for 70,000 items): no record is rewritten to stamp it, so a record the import
// did not change costs no write. Not thread-safe: the reconciler's thread owns it.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "ws/batch_applier.h"
#include "ws/store.h"

namespace ws {

class ImportPruning {
 public:
  struct Guard {
    double share = 0.10;  // import.prune_guard
    uint64_t floor = 5;   // this many pass on any library: a few deletions on a small one are news
    bool force = false;   // state:import -f --force
  };

  struct Gone {
    std::string key;     // the backend key
    uint64_t record_id = 0;
    std::string title;   // for the log
  };

  // What pruning would do, decided before anything is written.
  struct Plan {
    std::string server;
    uint64_t known = 0;         // backend keys the state held for the server
    std::vector<Gone> gone;     // of them, those the import did not list
    std::string refused;        // the guard's message when it refused (then nothing is pruned)
    bool allowed() const { return refused.empty(); }
  };

  ImportPruning() = default;
  explicit ImportPruning(std::string server) : server_(std::move(server)) {}

  // The set the batches fill (ApplyOptions::listed_keys): every key the import listed.
  ListedKeys* listed_keys() { return &listed_; }
  // An ignored library (options.ignore) is not listed, yet its items are not gone: they stay.
  void ignore_library(const std::string& library_id) { ignored_libraries_.insert(library_id); }

  // Compares the server's backend keys in `store` with what the import listed, and applies the
  // guard. Reads keys only, and the records of the keys not listed.
  // REQUIRES: every batch of the import is applied; the import succeeded.
  Plan plan(const Store& store, const Guard& guard) const;

  // Drops what `plan` found gone, in the caller's transaction (the caller commits); nothing when
  // the guard refused. Returns how many records lost this server's metadata.
  static uint64_t apply(WriteBatch& batch, const Plan& plan);

 private:
  std::string server_;
  ListedKeys listed_;
  std::set<std::string> ignored_libraries_;
};

}  // namespace ws
