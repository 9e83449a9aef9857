#include "ws/webhook_applier.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "ws/batch_applier.h"
#include "ws/job_results.h"
#include "ws/message_fields.h"
#include "ws/protocol.h"
#include "ws/store_recovery.h"
#include "ws/zmq_channel.h"

namespace ws {
namespace {

constexpr const char* kJobPrefix = "webhook/";
constexpr int64_t kForgetEvery = 600;     // s between sweeps of old event ids
constexpr uint64_t kForgetAtMost = 20000;  // ids forgotten per sweep: keeps one commit short

std::string wait_key(const std::string& server, const std::string& item_id) { return server + '\0' + item_id; }

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

// The mapper's answer for one event, for the ack of a dry run and for the log.
struct WebhookApplier::Decision {
  std::string action;  // none | metadata | progress | state | created | unmatched | ignored | duplicate
  std::string reason;
  std::vector<uint64_t> changed;  // records whose state or progress changed (push them)
  uint64_t record = 0;
  bool watched = false;
  nlohmann::json to_json() const {
    nlohmann::json j = {{"action", action}, {"reason", reason}};
    if (record != 0) {
      j["record"] = record;
      j["watched"] = watched;
    }
    return j;
  }
};

std::optional<EventKind> mapper_event_kind(WebhookKind kind) {
  switch (kind) {
    case WebhookKind::state_change: return EventKind::mark;
    case WebhookKind::completed_play: return EventKind::completed_play;
    case WebhookKind::tainted_play:
    case WebhookKind::progress:
    case WebhookKind::item_added: return EventKind::tainted;
    case WebhookKind::ignored: return std::nullopt;
  }
  return std::nullopt;
}

Result<WebhookMessage> read_webhook_message(const nlohmann::json& body) {
  MessageFields fields("event.webhook", body);
  WebhookMessage m;
  m.server = fields.string(protocol::kServerField.data());
  if (body.contains(protocol::kSpoolIdField))
    m.spool_id = static_cast<uint64_t>(fields.integer(protocol::kSpoolIdField.data(), 0, INT64_MAX));
  m.received_at = fields.integer_or(protocol::kReceivedAtField.data(), 0, 0, INT64_MAX);
  m.attempt = static_cast<int>(fields.integer_or(protocol::kAttemptField.data(), 1, 1, 1'000'000));
  m.dry_run = fields.boolean_or(protocol::kDryRunField.data(), false);
  const auto& event = fields.map(protocol::kEventField.data());
  if (!fields.ok()) return fields.as_error();
  try {
    m.event = event.get<WebhookEvent>();
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::invalid_input, std::string("event.webhook: 'event' does not read: ") + e.what());
  }
  if (!mapper_event_kind(m.event.kind))
    return make_error(ErrorKind::invalid_input, "event.webhook: 'event.kind' is ignored; ingest never sends those");
  if (m.event.item.item_id.empty())
    return make_error(ErrorKind::invalid_input, "event.webhook: 'event.item.item_id' is empty");
  if (m.event.event_id.empty())
    return make_error(ErrorKind::invalid_input, "event.webhook: 'event.event_id' is empty");
  m.event.item.server = m.server;  // the event speaks for its matched server only
  return m;
}

WebhookApplier::WebhookApplier(zmq::socket_t& events, Store& store, JobBroker& broker, const ReconcilerOptions& options,
                               const ServersFile& servers, std::function<void()> reload_servers)
    : events_(events),
      store_(store),
      broker_(broker),
      options_(options),
      servers_(servers),
      reload_servers_(std::move(reload_servers)),
      dispatcher_(std::make_unique<ExportDispatcher>(store, broker, options, std::string(kJobPrefix) + "push-",
                                                     push_summary_, ExportDispatcher::Callbacks{})) {}

WebhookApplier::~WebhookApplier() = default;

bool WebhookApplier::owns(const Job& job) const { return job.id.rfind(kJobPrefix, 0) == 0; }

size_t WebhookApplier::pending() const {
  size_t n = ready_.size();
  for (const auto& [key, list] : waiting_) n += list.size();
  return n;
}

const ServerConfig* WebhookApplier::server_config(const std::string& name) {
  if (const auto* s = servers_.find(name)) return s;
  reload_servers_();  // servers.yaml may have gained it since (ingest reads it as it changes)
  return servers_.find(name);
}

void WebhookApplier::refuse(const std::string& peer, const std::string& ref, const nlohmann::json& body,
                            const std::string& error) {
  nlohmann::json ack = {{"ref", ref}, {"ok", false}, {"retry", false}, {"error", error}, {"fatal", false}};
  if (auto it = body.find(protocol::kSpoolIdField); it != body.end() && it->is_number_unsigned()) ack["spool_id"] = *it;
  send_message(events_, Message{std::string(protocol::kAck), std::move(ack)}, peer);
}

void WebhookApplier::ack(const Pending& p, bool ok, bool retry, const std::string& error,
                         const nlohmann::json* decision) {
  nlohmann::json body = {{"ref", p.ref}, {"ok", ok}};
  if (p.message.spool_id) body["spool_id"] = *p.message.spool_id;
  if (!ok) {
    body["retry"] = retry;
    body["error"] = error;
  }
  if (decision) body["decision"] = *decision;
  if (!send_message(events_, Message{std::string(protocol::kAck), std::move(body)}, p.peer))
    spdlog::debug("events: the sender of event {} left before its ack", p.message.event.event_id);
}

// Known by this server's own id: the record has its ids already (no fetch needed).
bool WebhookApplier::known_here(const MediaItem& item) const {
  MediaItem probe;
  probe.server = item.server;
  probe.item_id = item.item_id;
  probe.type = item.type;
  probe.season = item.season;
  probe.episode = item.episode;
  probe.episode_end = item.episode_end;
  return store_.find(probe).has_value();
}

void WebhookApplier::on_event(const std::string& peer, const std::string& ref, const nlohmann::json& body) {
  auto read = read_webhook_message(body);
  if (!read) {
    refuse(peer, ref, body, read.error().message);
    return;
  }
  Pending p{peer, ref, std::move(read.value()), false};
  if (!server_config(p.message.server)) {
    refuse(peer, ref, body, "event.webhook: server '" + p.message.server + "' is not in servers.yaml");
    return;
  }
  const auto& event = p.message.event;
  if (!p.message.dry_run && store_.webhook_event_applied(event.event_id)) {
    ack(p, true, false, "", nullptr);  // a repeat: committed before, so acked at once
    return;
  }
  const std::string key = wait_key(p.message.server, event.item.item_id);
  if (waiting_.count(key) || !known_here(event.item)) {
    wait_for_fetch(std::move(p));
    return;
  }
  ready_.push_back(std::move(p));
}

void WebhookApplier::wait_for_fetch(Pending p) {
  const std::string& server = p.message.server;
  const std::string& item_id = p.message.event.item.item_id;
  auto [it, first] = waiting_.try_emplace(wait_key(server, item_id));
  if (first) to_fetch_[server].insert(item_id);
  it->second.push_back(std::move(p));
}

void WebhookApplier::submit_fetches() {
  for (auto& [server, ids] : to_fetch_) {
    std::vector<std::string> list(ids.begin(), ids.end());
    for (size_t i = 0; i < list.size(); i += protocol::kMaxFetchItems) {
      const size_t end = std::min(list.size(), i + protocol::kMaxFetchItems);
      std::vector<std::string> part(list.begin() + i, list.begin() + end);
      Job job;
      job.id = std::string(kJobPrefix) + "fetch-" + std::to_string(++next_job_);
      job.service = std::string(protocol::kServiceFetch);
      job.server = server;
      job.type = std::string(protocol::kJobFetch);
      job.body = {{"server", server}, {"kind", protocol::kFetchItems}, {"items", part}};
      auto& keys = fetching_[job.id];
      for (const auto& id : part) keys.push_back(wait_key(server, id));
      spdlog::debug("events: {}: fetching {} item(s) a webhook named first (job {})", server, part.size(), job.id);
      broker_.submit(std::move(job));
    }
  }
  to_fetch_.clear();
}

void WebhookApplier::on_broker_event(const BrokerEvent& e) {
  if (dispatcher_->owns(e.job)) {
    dispatcher_->on_event(e);
    send_pushes();  // that server's push is answered: the records changed meanwhile go now
    return;
  }
  if (e.kind == BrokerEvent::Kind::done) {
    on_fetch_done(e.job, e.body);
  } else if (e.kind == BrokerEvent::Kind::failed) {
    std::string error = e.body.value("error", e.job.last_error);
    on_fetch_failed(e.job, error.empty() ? "job " + e.job.id + " failed" : error);
  }
}

void WebhookApplier::on_fetch_done(const Job& job, const nlohmann::json& result) {
  auto read = read_items_result(result);  // the broker checked it; read it the same way
  if (!read) {
    on_fetch_failed(job, read.error().message);
    return;
  }
  auto keys = std::move(fetching_[job.id]);
  fetching_.erase(job.id);
  for (const auto& key : keys) {
    auto it = waiting_.find(key);
    if (it == waiting_.end()) continue;
    auto list = std::move(it->second);
    waiting_.erase(it);
    const std::string& item_id = list.front().message.event.item.item_id;
    auto found = std::find_if(read->begin(), read->end(), [&](const MediaItem& m) { return m.item_id == item_id; });
    for (auto& p : list) {
      if (found == read->end()) {
        const nlohmann::json decision = {
            {"action", "gone"},
            {"reason", p.message.server + ": the server no longer has item " + item_id + "; nothing applied"}};
        spdlog::info("events: {}", decision["reason"].get<std::string>());
        ack(p, true, false, "", p.message.dry_run ? &decision : nullptr);
        continue;
      }
      // The server's answer is what the rules see (rule 3), under the event's kind and time.
      p.message.event.item = *found;
      p.message.event.item.server = p.message.server;
      p.fetched = true;
      ready_.push_back(std::move(p));
    }
  }
}

void WebhookApplier::on_fetch_failed(const Job& job, const std::string& error) {
  auto keys = std::move(fetching_[job.id]);
  fetching_.erase(job.id);
  for (const auto& key : keys) {
    auto it = waiting_.find(key);
    if (it == waiting_.end()) continue;
    for (const auto& p : it->second) {
      spdlog::warn("events: {}: the one-item fetch of item {} failed; the event waits in ingest: {}", p.message.server,
                   p.message.event.item.item_id, error);
      ack(p, false, true, "the one-item fetch of item " + p.message.event.item.item_id + " failed: " + error, nullptr);
    }
    waiting_.erase(it);
  }
}

WebhookApplier::Decision WebhookApplier::map_one(WriteBatch& batch, const Pending& p, int64_t now, int64_t last_sync) {
  Decision d;
  const auto& m = p.message;
  const ServerConfig* server = servers_.find(m.server);
  MediaItem item = m.event.item;
  std::string library = item.library_id;
  if (library.empty()) {
    if (auto stored = batch.find(item)) {
      if (auto meta = stored->metadata.find(m.server); meta != stored->metadata.end()) library = meta->second.library_id;
    }
  }
  if (server && !library.empty() && contains(server->ignored_libraries, library)) {
    d.action = "ignored";
    d.reason = m.server + ": library " + library + " is ignored (options.ignore); nothing applied";
    return d;
  }
  ApplyOptions o;
  o.kind = *mapper_event_kind(m.event.kind);
  o.last_sync = last_sync;
  o.now = m.event.event_time > 0 ? std::min(m.event.event_time, now) : now;
  o.changed_at = now;
  o.mapper = mapper_options(options_.config);
  d.action = "none";
  o.on_decision = [&](const MediaItem&, const MapResult& r) {
    if (!d.reason.empty()) d.reason += "; ";
    d.reason += r.reason;
    if (r.unmatched) {
      d.action = "unmatched";
      return;
    }
    d.record = r.record.id;
    d.watched = r.record.watched;
    const std::string change = r.created ? "created" : std::string(to_string(r.change));
    if (d.action == "none" || d.action == "metadata" || change == "state" || change == "created") d.action = change;
    if (!r.created && (r.change == ChangeKind::state || r.change == ChangeKind::progress)) d.changed.push_back(r.record.id);
  };
  apply_items(batch, {item}, o);
  return d;
}

void WebhookApplier::apply_ready() {
  if (ready_.empty()) return;
  last_syncs_.clear();
  std::vector<Pending> events = std::move(ready_);
  ready_.clear();
  std::vector<Pending> dry;
  const int64_t now = options_.now();
  if (auto writable = reopen_if_failed(store_, options_.paths.config_file()); !writable) {
    for (const auto& p : events) ack(p, false, true, "the state store refuses writes: " + writable.error().message, nullptr);
    return;
  }
  struct Applied {
    const Pending* event;
    Decision decision;
  };
  std::vector<Applied> applied;
  applied.reserve(events.size());
  // Read before the write transaction opens (one transaction per thread at a time).
  for (const auto& p : events) last_syncs_.try_emplace(p.message.server, store_.last_sync(p.message.server, SyncDirection::import));
  {
    auto batch = store_.begin_write();
    for (auto& p : events) {
      if (p.message.dry_run) {
        dry.push_back(std::move(p));
        continue;
      }
      if (batch.webhook_event_applied(p.message.event.event_id)) {
        applied.push_back({&p, Decision{"duplicate", "applied before", {}, 0, false}});
        continue;
      }
      applied.push_back({&p, map_one(batch, p, now, last_syncs_[p.message.server])});
      batch.webhook_event_put(p.message.event.event_id, now);
    }
    if (now - last_forget_ >= kForgetEvery) {
      last_forget_ = now;
      if (uint64_t n = batch.webhook_events_forget(now - kWebhookDedupeSeconds, kForgetAtMost); n > 0)
        spdlog::debug("events: forgot {} event ids older than {} days", n, kWebhookDedupeSeconds / 86400);
    }
    if (auto c = batch.commit(); !c) {
      spdlog::error("events: committing {} webhook events failed; ingest sends them again: {}", applied.size(),
                    c.error().message);
      for (const auto& a : applied) ack(*a.event, false, true, "committing the event failed: " + c.error().message, nullptr);
      answer_dry_runs(dry);
      return;
    }
  }
  for (const auto& a : applied) {
    ack(*a.event, true, false, "", nullptr);
    const auto& m = a.event->message;
    if (a.decision.action != "duplicate" && spdlog::should_log(spdlog::level::debug))
      spdlog::debug("events: {} {} on item {}: {}", m.server, m.event.event_name, m.event.item.item_id, a.decision.reason);
    for (uint64_t id : a.decision.changed) queue_pushes(m.server, id);
  }
  answer_dry_runs(dry);
}

void WebhookApplier::answer_dry_runs(std::vector<Pending>& dry) {
  for (const auto& p : dry) {
    auto batch = store_.begin_write();  // never committed: aborted when it goes out of scope
    Decision d = map_one(batch, p, options_.now(), last_syncs_[p.message.server]);
    nlohmann::json decision = d.to_json();
    decision["event"] = p.message.event.event_name;
    decision["kind"] = to_string(p.message.event.kind);
    decision["fetched"] = p.fetched;
    nlohmann::json push = nlohmann::json::array();
    if (!d.changed.empty())
      for (const auto& s : servers_.servers)
        if (s.name != p.message.server && s.writable() && s.webhook_push) push.push_back(s.name);
    decision["push"] = std::move(push);
    ack(p, true, false, "", &decision);
  }
}

void WebhookApplier::queue_pushes(const std::string& from_server, uint64_t record_id) {
  for (const auto& s : servers_.servers) {
    if (s.name == from_server || !s.writable() || !s.webhook_push) continue;
    to_push_[s.name].insert(record_id);
  }
}

void WebhookApplier::send_pushes() {
  if (!dispatcher_->busy()) push_summary_ = RunSummary{};  // counts are per burst, for the log only
  for (auto& [server, ids] : to_push_) {
    if (ids.empty() || dispatcher_->busy(server)) continue;  // one push in flight per server
    std::vector<uint64_t> list(ids.begin(), ids.end());
    ids.clear();
    const ServerConfig* config = servers_.find(server);
    if (!config) continue;  // gone from servers.yaml since the change was queued
    spdlog::debug("events: pushing {} changed record(s) to {}", list.size(), server);
    dispatcher_->push(*config, list, DispatchMode{});
  }
}

void WebhookApplier::flush() {
  apply_ready();
  if (!to_fetch_.empty()) submit_fetches();
  send_pushes();
}

}  // namespace ws
