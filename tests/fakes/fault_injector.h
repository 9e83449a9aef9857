// Injected failures, as given by --fail "500:0.1,429:0.05,hang:0.01,truncate:0.01": each server
// request (never a /__fake/ one) independently gets at most one fault, with these probabilities.
// Any HTTP status 400-599 may be named; 429 and 503 carry Retry-After. "hang" holds the request
// without an answer until the client gives up (bounded by the server's hang time, so the fake
// still exits cleanly); "truncate" answers 200 with the body cut in half.
//
// Deterministic: the n-th request's fault is a function of the seed and n only.
// Thread safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ws/result.h"

namespace ws::fake {

struct FaultRule {
  enum Kind { status, hang, truncate } kind = status;
  int code = 0;           // for status
  double probability = 0; // [0, 1]
};
using FaultSpec = std::vector<FaultRule>;

// Parses "500:0.1,429:0.05,hang:0.01,truncate:0.01"; empty text is no faults. The sum of the
// probabilities must not exceed 1.
Result<FaultSpec> parse_fault_spec(std::string_view text);

struct FaultDecision {
  FaultRule::Kind kind = FaultRule::status;
  int code = 0;  // 0: no fault
  bool any() const { return code != 0 || kind != FaultRule::status; }
  std::string name() const;  // "500", "hang", "truncate"
};

class FaultInjector {
 public:
  FaultInjector(FaultSpec spec, uint64_t seed) : spec_(std::move(spec)), seed_(seed) {}

  FaultDecision next();
  // The next `requests` decisions use `spec` instead (e.g. "429:1" once, then normal service).
  void override_next(FaultSpec spec, int requests);

 private:
  std::mutex mutex_;
  FaultSpec spec_;
  FaultSpec override_;
  int override_left_ = 0;
  uint64_t seed_;
  uint64_t counter_ = 0;
};

}  // namespace ws::fake
