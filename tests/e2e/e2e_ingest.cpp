#include "e2e_ingest.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <httplib.h>


namespace ws::e2e {
namespace {

using nlohmann::json;

httplib::Client client_for(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(30));
  return client;
}

json get_json(int port, const std::string& path) {
  auto client = client_for(port);
  auto r = client.Get(path);
  if (!r) throw std::runtime_error("ws-ingest did not answer GET " + path + ": " + httplib::to_string(r.error()));
  return json::parse(r->body);
}

}  // namespace

std::string ingest_binary() {
  if (const char* v = std::getenv("WS_E2E_INGEST"); v && *v) return v;
  return WS_E2E_INGEST;
}

std::string webhook_config(const std::string& apikey, int port, const std::string& extra) {
  return "webhook:\n  apikey: '" + apikey + "'\n  listen: '127.0.0.1:" + std::to_string(port) + "'\n" + extra;
}

IngestProcess::IngestProcess(const DataFolder& folder, int port, std::string apikey)
    : folder_(folder), port_(port), apikey_(std::move(apikey)) {
  start();
}

void IngestProcess::start() {
  const std::string name = "ingest-" + std::to_string(++starts_);
  process_.reset();
  process_.emplace(folder_.spawn(ingest_binary(), {"--listen", "127.0.0.1:" + std::to_string(port_), "-v"}, name));
  const std::string said = "ws-ingest listening on http://127.0.0.1:" + std::to_string(port_);
  const bool up = wait_until(
      [&] { return !process_->running() || process_->out().find(said) != std::string::npos; }, std::chrono::seconds(20));
  if (!up || !process_->running())
    throw std::runtime_error("ws-ingest did not start listening on port " + std::to_string(port_) + "\n" +
                             process_->tail());
}

void IngestProcess::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(10));
}

void IngestProcess::restart() { start(); }

std::string IngestProcess::webhook_url(const std::string& type) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/?type=" + type + "&apikey=" + apikey_;
}

json IngestProcess::healthz() const { return get_json(port_, "/healthz"); }

std::map<std::string, double> IngestProcess::metrics() const {
  auto client = client_for(port_);
  auto r = client.Get("/metrics");
  if (!r) throw std::runtime_error("ws-ingest did not answer GET /metrics: " + httplib::to_string(r.error()));
  std::map<std::string, double> out;
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

double IngestProcess::metric(const std::string& name) const {
  const auto all = metrics();
  auto it = all.find(name);
  return it == all.end() ? 0 : it->second;
}

size_t IngestProcess::spool_depth() const { return healthz().at("spool").at("depth").get<size_t>(); }
size_t IngestProcess::spool_failed() const { return healthz().at("spool").at("failed").get<size_t>(); }

HttpAnswer post_raw(int port, const std::string& target, const std::string& body, const std::string& content_type,
                    const std::map<std::string, std::string>& headers) {
  auto client = client_for(port);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  auto r = client.Post(target, h, body, content_type);
  HttpAnswer a;
  if (!r) return a;
  a.status = r->status;
  a.x_status = r->get_header_value("X-Status");
  a.body = r->body;
  return a;
}

// ---- StateDump ----

StateDump StateDump::of(const DataFolder& folder) {
  static int dumps = 0;
  const auto file = folder.root() / ("state-dump-" + std::to_string(++dumps) + ".json");
  const RunResult r = folder.watchstate({"state:backup", file.string()});
  if (r.exit_code != 0) throw std::runtime_error("watchstate state:backup failed: " + r.describe());
  std::ifstream in(file);
  StateDump dump;
  dump.records_ = json::parse(in).at("records");
  std::filesystem::remove(file);
  for (size_t i = 0; i < dump.records_.size(); ++i) {
    const auto& record = dump.records_[i];
    auto meta = record.find("metadata");
    if (meta == record.end()) continue;
    for (const auto& [server, m] : meta->items()) dump.by_item_.emplace(server + "/" + m.value("item_id", ""), i);
  }
  return dump;
}

const json* StateDump::record(const std::string& server, const std::string& item_id) const {
  auto it = by_item_.find(server + "/" + item_id);
  return it == by_item_.end() ? nullptr : &records_[it->second];
}

bool StateDump::watched(const std::string& server, const std::string& item_id) const {
  const json* r = record(server, item_id);
  return r && r->value("watched", false);
}

int64_t StateDump::progress_ms(const std::string& server, const std::string& item_id) const {
  const json* r = record(server, item_id);
  if (!r) return 0;
  auto p = r->find("progress");
  return p != r->end() && p->is_object() ? p->value("ms", int64_t{0}) : 0;
}

std::map<std::string, std::string> StateDump::flags_and_progress() const {
  std::map<std::string, std::string> out;
  for (const auto& record : records_) {
    std::vector<std::string> ids;
    if (auto meta = record.find("metadata"); meta != record.end())
      for (const auto& [server, m] : meta->items()) ids.push_back(server + "/" + m.value("item_id", ""));
    std::sort(ids.begin(), ids.end());
    std::string key;
    for (const auto& id : ids) key += id + " ";
    key += "S" + std::to_string(record.value("season", 0)) + "E" + std::to_string(record.value("episode", 0));
    int64_t progress = 0;
    if (auto p = record.find("progress"); p != record.end() && p->is_object()) progress = p->value("ms", int64_t{0});
    out[key] = std::string("watched=") + (record.value("watched", false) ? "1" : "0") +
               " progress=" + std::to_string(progress) + " " + record.value("title", "");
  }
  return out;
}

}  // namespace ws::e2e
