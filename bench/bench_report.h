// What every benchmark prints with its numbers (STYLE 16): the machine, its load, and
// percentiles of measured times.
#pragma once

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

namespace ws::bench {

// The CPU's model name from /proc/cpuinfo.
inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown cpu";
}

// The 1, 5 and 15 minute load averages, as /proc/loadavg says them ("2.10 3.40 3.90").
inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// The value at quantile p (0..1) of an ascending `sorted`; 0 when empty.
inline double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[i];
}

}  // namespace ws::bench
