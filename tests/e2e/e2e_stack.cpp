#include "e2e_stack.h"

#include <csignal>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace ws::e2e {
namespace {

size_t count_lines(const std::string& text, const std::regex& pattern) {
  size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += std::regex_search(line, pattern) ? 1 : 0;
  return n;
}

}  // namespace

Stack::Stack(const DataFolder& folder, int fetchers, int exporters) : folder_(folder) {
  start_reconciler();
  for (int i = 0; i < fetchers; ++i) add_fetcher();
  for (int i = 0; i < exporters; ++i) {
    const std::string name = "exporter-" + std::to_string(i + 1);
    exporters_.push_back(folder_.spawn(exporter_binary(), {"--name", name, "-vv"}, name));
  }
}

Process& Stack::add_fetcher() {
  const std::string name = "fetcher-" + std::to_string(fetchers_.size() + 1);
  return fetchers_.emplace_back(folder_.spawn(fetcher_binary(), {"--name", name, "-vv"}, name));
}

void Stack::start_reconciler() {
  const std::string name = "reconciler-" + std::to_string(++reconciler_starts_);
  reconciler_.reset();
  reconciler_.emplace(folder_.spawn(reconciler_binary(), {"-v"}, name));
  const int port = folder_.control_port();
  const bool up = wait_until([&] { return !reconciler_->running() || tcp_listening(port); }, std::chrono::seconds(20));
  if (!up || !reconciler_->running()) {
    throw std::runtime_error("ws-reconciler did not start listening on " + folder_.control_endpoint() + "\n" +
                             reconciler_->tail());
  }
}

void Stack::restart_reconciler() { start_reconciler(); }

std::vector<std::string> Stack::stop() {
  std::vector<std::string> problems;
  std::vector<Process*> all;
  if (reconciler_) all.push_back(&*reconciler_);
  for (auto& p : fetchers_) all.push_back(&p);
  for (auto& p : exporters_) all.push_back(&p);
  for (auto* p : all) {
    if (!p->running()) continue;  // killed by the test, or already gone (the exit said why)
    p->signal(SIGTERM);
    const auto status = p->wait(std::chrono::seconds(10));
    if (!status) {
      problems.push_back(p->name() + " did not stop within 10 s of SIGTERM");
      p->stop(std::chrono::milliseconds(0));
    } else if (*status != 0) {
      problems.push_back(p->name() + " exited with " + std::to_string(*status) + " after SIGTERM");
    }
  }
  static const std::regex report(R"(ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: )");
  for (auto* p : all) {
    std::istringstream in(p->err());
    for (std::string line; std::getline(in, line);)
      if (std::regex_search(line, report)) problems.push_back(p->name() + ": " + line);
  }
  return problems;
}

std::string Stack::logs() const {
  std::string out = reconciler_ ? reconciler_->tail() : "";
  for (const auto& p : fetchers_) out += p.tail();
  for (const auto& p : exporters_) out += p.tail();
  return out;
}

// The job worker's debug lines: "NAME: job ID attempt N (job.fetch)" and "NAME: job ID finished".
size_t jobs_started(const Process& worker) {
  static const std::regex started(R"(: job \S+ attempt \d+ \(job\.\w+\)$)");
  return count_lines(worker.err(), started);
}
std::string last_job_started(const Process& worker) {
  static const std::regex started(R"(: job (\S+) attempt \d+ \(job\.\w+\)$)");
  std::string last;
  std::istringstream in(worker.err());
  std::smatch m;
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, m, started)) last = m[1];
  return last;
}

std::vector<int> attempts_started(const Process& worker, const std::string& job) {
  static const std::regex started(R"(: job (\S+) attempt (\d+) \(job\.\w+\)$)");
  std::vector<int> out;
  std::istringstream in(worker.err());
  std::smatch m;
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, m, started) && m[1] == job) out.push_back(std::stoi(m[2]));
  return out;
}

size_t jobs_finished(const Process& worker) {
  static const std::regex finished(R"(: job \S+ finished$)");
  return count_lines(worker.err(), finished);
}

}  // namespace ws::e2e
