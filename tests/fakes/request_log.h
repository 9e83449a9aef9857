// What a fake server received: every write request (for /__fake/writes) and request counts and
// bytes by route (for /__fake/stats). Thread safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ws::fake {

struct WriteRecord {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // as sent, decoded
  std::string body;
  int64_t at = 0;  // unix seconds
};

class RequestLog {
 public:
  void record_write(WriteRecord write);
  // [{"method","path","query":{name:value},"body","at"}...] in arrival order.
  std::string writes_json() const;
  size_t write_count() const;
  void clear_writes();

  // One request answered on `route` (a route pattern such as "GET /Items/{}") with `bytes` of body.
  void count(const std::string& route, size_t bytes);
  // One injected fault ("500", "429", "hang", "truncate").
  void count_fault(std::string_view kind);
  // {"requests":N,"bytes":N,"routes":{route:{"count","bytes"}},"faults":{kind:N},"writes":N}
  std::string stats_json() const;

 private:
  struct Counter {
    uint64_t count = 0;
    uint64_t bytes = 0;
  };
  mutable std::mutex mutex_;
  std::vector<WriteRecord> writes_;
  std::map<std::string, Counter, std::less<>> routes_;
  std::map<std::string, uint64_t, std::less<>> faults_;
  uint64_t requests_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace ws::fake
