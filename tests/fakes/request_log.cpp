#include "request_log.h"

#include <nlohmann/json.hpp>

namespace ws::fake {

void RequestLog::record_write(WriteRecord write) {
  std::lock_guard lock(mutex_);
  writes_.push_back(std::move(write));
}

std::string RequestLog::writes_json() const {
  nlohmann::json out = nlohmann::json::array();
  std::lock_guard lock(mutex_);
  for (const WriteRecord& w : writes_) {
    nlohmann::json query = nlohmann::json::object();
    for (const auto& [k, v] : w.query) query[k] = v;
    out.push_back({{"method", w.method}, {"path", w.path}, {"query", query}, {"body", w.body}, {"at", w.at}});
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

size_t RequestLog::write_count() const {
  std::lock_guard lock(mutex_);
  return writes_.size();
}

void RequestLog::clear_writes() {
  std::lock_guard lock(mutex_);
  writes_.clear();
}

void RequestLog::count(const std::string& route, size_t bytes) {
  std::lock_guard lock(mutex_);
  Counter& c = routes_[route];
  c.count += 1;
  c.bytes += bytes;
  requests_ += 1;
  bytes_ += bytes;
}

void RequestLog::count_fault(std::string_view kind) {
  std::lock_guard lock(mutex_);
  auto it = faults_.find(kind);
  if (it == faults_.end()) it = faults_.emplace(std::string(kind), 0).first;
  it->second += 1;
}

std::string RequestLog::stats_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json routes = nlohmann::json::object();
  for (const auto& [name, c] : routes_) routes[name] = {{"count", c.count}, {"bytes", c.bytes}};
  nlohmann::json faults = nlohmann::json::object();
  for (const auto& [name, n] : faults_) faults[name] = n;
  nlohmann::json out = {{"requests", requests_}, {"bytes", bytes_}, {"routes", routes},
                        {"faults", faults},      {"writes", writes_.size()}};
  return out.dump();
}

}  // namespace ws::fake
