#include "ws/job_broker.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "ws/message_fields.h"
#include "ws/protocol.h"

namespace ws {
namespace {

using nlohmann::json;

// The body's `id`, when it has a string one: the `ref` of a refusal.
std::string id_of(const json& body) {
  auto it = body.find("id");
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What a person starts to serve a service.
std::string worker_program(const std::string& service) {
  if (service == protocol::kServiceFetch) return "ws-fetcher";
  if (service == protocol::kServiceExport) return "ws-exporter";
  return "worker for '" + service + "'";
}

std::string random_prefix() {
  std::random_device rd;
  char buf[20];
  std::snprintf(buf, sizeof buf, "b%08x%08x", rd(), rd());
  return buf;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

}  // namespace

JobBroker::JobBroker(zmq::socket_t& workers, Options options, std::function<Clock::time_point()> now)
    : socket_(workers),
      options_(std::move(options)),
      now_(std::move(now)),
      message_prefix_(random_prefix()),
      refusals_("workers", [this] { return now_(); }) {
  if (options_.heartbeat_interval.count() <= 0)
    throw std::invalid_argument("job broker: heartbeat_interval must be > 0 ms");
  if (options_.liveness < 1) throw std::invalid_argument("job broker: liveness must be >= 1");
  if (options_.lease.count() <= 0) throw std::invalid_argument("job broker: lease must be > 0 ms");
  if (options_.max_attempts < 1) throw std::invalid_argument("job broker: max_attempts must be >= 1");
  if (options_.queue_timeout.count() <= 0) throw std::invalid_argument("job broker: queue_timeout must be > 0 ms");
  if (!now_) throw std::invalid_argument("job broker: the clock must be set");
}

void JobBroker::submit(Job job) {
  if (job.id.empty() || job.type.empty() || job.service.empty())
    throw std::invalid_argument("job broker: a job needs an id, a service and a message type");
  if (!job_ids_.insert(job.id).second)
    throw std::invalid_argument("job broker: job '" + job.id + "' is already queued or in flight");
  spdlog::debug("job {} queued for {} (server '{}')", job.id, job.service, job.server);
  job.served_at = now_();
  queues_[job.service].push_back(std::move(job));
}

std::vector<BrokerEvent> JobBroker::handle(const Envelope& envelope) { return handle_impl(envelope, nullptr); }

std::vector<BrokerEvent> JobBroker::handle(Envelope&& envelope) {
  return handle_impl(envelope, envelope.message ? &envelope.message.value() : nullptr);
}

// `movable`: the envelope's message when the caller gave the envelope away.
std::vector<BrokerEvent> JobBroker::handle_impl(const Envelope& envelope, Message* movable) {
  Events events;
  const std::string& peer = envelope.peer;
  if (auto w = workers_.find(peer); w != workers_.end()) w->second.last_heard = now_();

  if (!envelope.message) {
    const std::string& error = envelope.message.error().message;
    // Never answer an ack, not even a bad one (docs/protocol.md "Errors").
    if (!envelope.answerable()) {
      refusals_.refused(peer, "a malformed ack (dropped)", error);
      return events;
    }
    refusals_.refused(peer, "an undecodable message", error);
    // decode_message words every version refusal with "schema version", and a peer speaking
    // another schema should not go on (protocol "Errors").
    bool fatal = error.find("schema version") != std::string::npos;
    refuse(peer, "", error, fatal, events);
    return events;
  }

  const Message& message = envelope.message.value();
  if (message.type == protocol::kWorkerReady) {
    on_ready(peer, message, events);
  } else if (message.type == protocol::kHeartbeat) {
    if (!workers_.count(peer))  // see the header: silence makes the worker say ready again
      spdlog::debug("heartbeat from unknown {} not answered", describe_peer(peer));
  } else if (message.type == protocol::kBatchItems || message.type == protocol::kJobDone ||
             message.type == protocol::kJobFailed) {
    on_job_message(peer, message, movable, events);
  } else if (message.type == protocol::kAck) {
    on_ack(peer, message, events);
  } else {
    refusals_.refused(peer, message.type, "not a worker message");
    refuse(peer, id_of(message.body), message.type + " is not accepted on the workers endpoint", false, events);
  }
  return events;
}

void JobBroker::on_ready(const std::string& peer, const Message& message, Events& events) {
  MessageFields fields(message.type, message.body);
  const std::string name = fields.string("worker");
  const std::string serves = fields.string("serves");
  const auto listed = fields.strings_or_empty("servers");
  if (fields.ok() && serves != protocol::kServiceFetch && serves != protocol::kServiceExport)
    fields.invalid("serves", "must be \"fetch\" or \"export\"");
  if (!fields.ok()) {
    refusals_.refused(peer, message.type, fields.error());
    return refuse(peer, id_of(message.body), fields.error(), false, events);
  }
  std::set<std::string> servers(listed.begin(), listed.end());

  const auto now = now_();
  auto existing = workers_.find(peer);
  if (existing != workers_.end() && !existing->second.job.empty()) {
    spdlog::info("worker {} restarted during job {}: requeued", existing->second.name, existing->second.job);
    drop_worker(peer, "worker " + existing->second.name + " restarted during the job", events);
    existing = workers_.end();
  }
  if (existing == workers_.end()) {
    spdlog::info("worker {} ready for {}{}", name, serves,
                 servers.empty() ? std::string(" (any server)") : " (" + std::to_string(servers.size()) + " servers)");
  } else {
    spdlog::debug("worker {} said ready again", name);
  }
  Worker& w = workers_[peer];
  w.name = name;
  w.service = serves;
  w.servers = std::move(servers);
  w.job.clear();
  w.last_heard = now;
  if (existing == workers_.end()) w.last_sent = now;
  w.idle_since = ++idle_counter_;
}

void JobBroker::on_job_message(const std::string& peer, const Message& message, Message* movable,
                               Events& events) {
  const json& body = message.body;
  MessageFields fields(message.type, body);
  const std::string job_id = fields.string("job");
  const int64_t attempt = fields.integer("attempt", 1, std::numeric_limits<int>::max());
  if (!fields.ok()) {
    refusals_.refused(peer, message.type, fields.error());
    return refuse(peer, id_of(body), fields.error(), false, events);
  }
  auto f = in_flight_.find(job_id);
  if (f == in_flight_.end() || f->second.peer != peer || f->second.job.attempts != attempt) {
    spdlog::debug("{} for job {} attempt {} is stale: dropped", message.type, job_id, attempt);
    return;
  }
  auto worker = workers_.find(peer);
  const std::string who = worker == workers_.end() ? describe_peer(peer) : "worker " + worker->second.name;

  if (message.type == protocol::kBatchItems) {
    if (message.items_msgpack.empty()) {  // else decode_message found an array (read when applied)
      fields.require("items");
      (void)fields.list_or_empty("items");
    }
    if (!fields.ok()) {
      // The worker still runs the job: drop it (it re-registers once it hears silence), so no
      // other job is given to a worker that is busy.
      // (The refusal last: a failed send drops the worker too, and `f` must still be valid.)
      refusals_.refused(peer, message.type, fields.error());
      drop_worker(peer, who + " sent a malformed batch: " + fields.error(), events);
      return refuse(peer, id_of(body), fields.error(), false, events);
    }
    f->second.deadline = now_() + options_.lease;
    if (movable) {
      events.push_back({BrokerEvent::Kind::batch, f->second.job, std::move(movable->body), std::move(movable->items_msgpack)});
    } else {
      events.push_back({BrokerEvent::Kind::batch, f->second.job, body, message.items_msgpack});
    }
    return;
  }

  if (message.type == protocol::kJobDone) {
    const json& result = fields.map("result");
    if (fields.ok() && options_.check_result) {
      if (auto checked = options_.check_result(f->second.job, result); !checked) fields.fail(checked.error().message);
    }
    if (!fields.ok()) {
      refusals_.refused(peer, "a malformed job.done", fields.error());
      fail_attempt(f, who + " sent a malformed result: " + fields.error(), events);
      return refuse(peer, id_of(body), fields.error(), false, events);
    }
    Job job = f->second.job;
    finish(f);
    spdlog::debug("job {} done (attempt {})", job.id, job.attempts);
    job_ids_.erase(job.id);
    events.push_back({BrokerEvent::Kind::done, std::move(job), result});
    return;
  }

  // job.failed: a failure however it is worded; a malformed one may be retried.
  std::string error = fields.string_or("error", "the worker reported a failure without a reason");
  bool retry = fields.boolean_or("retryable", true);
  if (!fields.ok()) {
    refusals_.refused(peer, "a malformed job.failed", fields.error());
    error = who + " sent a malformed failure: " + fields.error();
    retry = true;
  }
  spdlog::debug("job {} attempt {} failed ({}): {}", job_id, attempt, retry ? "retryable" : "final", error);
  if (!retry) {
    Job job = f->second.job;
    finish(f);
    job.last_error = error;
    job_ids_.erase(job.id);
    json failed{{"error", job.last_error}};
    events.push_back({BrokerEvent::Kind::failed, std::move(job), std::move(failed)});
    return;
  }
  fail_attempt(f, error, events);
  if (!fields.ok()) refuse(peer, id_of(body), fields.error(), false, events);
}

void JobBroker::fail_attempt(std::unordered_map<std::string, InFlight>::iterator in_flight, const std::string& error,
                             Events& events) {
  Job job = in_flight->second.job;
  finish(in_flight);
  job.last_error = error;
  requeue_or_fail(std::move(job), false, events);
}

void JobBroker::on_ack(const std::string& peer, const Message& message, Events& events) {
  MessageFields fields(message.type, message.body);
  fields.require("ok");
  const bool ok = fields.boolean_or("ok", false);
  const std::string error = fields.string_or("error", "(no reason given)");
  const bool fatal = fields.boolean_or("fatal", false);
  const std::string ref = fields.string_or("ref", "");
  if (!fields.ok()) {  // never answered (see the header); nothing to act on either
    refusals_.refused(peer, "a malformed ack (dropped)", fields.error());
    return;
  }
  if (ok) return;
  auto w = workers_.find(peer);
  if (w == workers_.end()) {  // nothing of ours to fail; a stranger's refusals are rate-limited
    refusals_.refused(peer, "an ack from an unknown peer (dropped)", error);
    return;
  }
  const std::string who = "worker " + w->second.name;
  spdlog::warn("{} refused a message{}: {}", who, fatal ? " (fatal)" : "", error);
  if (fatal) return drop_worker(peer, who + " refused the job: " + error, events);
  auto f = w->second.job.empty() ? in_flight_.end() : in_flight_.find(w->second.job);
  if (f == in_flight_.end() || ref.empty() || f->second.message_id != ref) return;
  fail_attempt(f, who + " refused the job: " + error, events);
}

void JobBroker::refuse(const std::string& peer, const std::string& ref, const std::string& error, bool fatal,
                       Events& events) {
  Message ack{std::string(protocol::kAck), {{"ref", ref}, {"ok", false}, {"error", error}, {"fatal", fatal}}};
  if (!send_to(peer, ack) && workers_.count(peer)) drop_worker(peer, "worker vanished", events);
}

std::vector<BrokerEvent> JobBroker::tick() {
  Events events;
  const auto now = now_();
  const auto silence = options_.heartbeat_interval * options_.liveness;

  // Before dropping anyone: a job whose worker is merely busy has been served until now.
  std::map<std::pair<std::string, std::string>, bool> servable;  // (service, server)
  for (auto& [service, queue] : queues_) {
    for (auto& job : queue) {
      auto [it, fresh] = servable.try_emplace({service, job.server}, false);
      if (fresh) it->second = can_be_served(job);
      if (it->second) job.served_at = now;
    }
  }

  std::vector<std::pair<std::string, std::string>> doomed;  // peer, reason
  for (const auto& [peer, w] : workers_)
    if (now - w.last_heard >= silence)
      doomed.emplace_back(peer, "worker " + w.name + " went silent for " + seconds_text(silence));
  for (const auto& [id, f] : in_flight_)
    if (now >= f.deadline)
      doomed.emplace_back(f.peer, "lease of " + seconds_text(options_.lease) + " expired on worker " +
                                      (workers_.count(f.peer) ? workers_.at(f.peer).name : describe_peer(f.peer)));
  for (const auto& [peer, reason] : doomed) {
    if (!workers_.count(peer)) continue;  // both silent and expired
    spdlog::info("{}: worker dropped", reason);
    drop_worker(peer, reason, events);
  }

  dispatch(events);

  std::vector<std::string> due;
  for (const auto& [peer, w] : workers_)
    if (now - w.last_sent >= options_.heartbeat_interval) due.push_back(peer);
  bool lost = false;
  for (const auto& peer : due) {
    auto w = workers_.find(peer);
    if (w == workers_.end()) continue;
    if (!send_to(peer, Message{std::string(protocol::kHeartbeat), {{"worker", w->second.name}}})) {
      spdlog::info("worker {} is unreachable: dropped", w->second.name);
      drop_worker(peer, "worker " + w->second.name + " disconnected", events);
      lost = true;
    }
  }
  if (lost) dispatch(events);  // its job may go to another idle worker right away
  expire_unserved(events);
  return events;
}

void JobBroker::expire_unserved(Events& events) {
  const auto now = now_();
  for (auto& [service, queue] : queues_) {
    for (auto it = queue.begin(); it != queue.end();) {
      if (now - it->served_at < options_.queue_timeout || can_be_served(*it)) {
        ++it;
        continue;
      }
      Job job = std::move(*it);
      it = queue.erase(it);
      job.last_error = missing_worker(job) + " (the job waited " + seconds_text(options_.queue_timeout) + ")";
      spdlog::warn("job {} failed: {}", job.id, job.last_error);
      job_ids_.erase(job.id);
      json error{{"error", job.last_error}};
      events.push_back({BrokerEvent::Kind::failed, std::move(job), std::move(error)});
    }
  }
}

bool JobBroker::can_be_served(const Job& job) const {
  return std::any_of(workers_.begin(), workers_.end(), [&](const auto& w) {
    return w.second.service == job.service && (w.second.servers.empty() || w.second.servers.count(job.server));
  });
}

std::string JobBroker::missing_worker(const Job& job) const {
  const std::string program = worker_program(job.service);
  std::set<std::string> listed;
  for (const auto& [peer, w] : workers_)
    if (w.service == job.service) listed.insert(w.servers.begin(), w.servers.end());
  std::string out = "no " + program + " is connected for server " + job.server;
  if (!listed.empty()) {
    std::string names;
    for (const auto& s : listed) names += (names.empty() ? "" : ", ") + s;
    out += " (the connected ones take only " + names + ")";
  }
  return out;
}

std::string JobBroker::waiting_for(const std::function<bool(const Job&)>& match) const {
  for (const auto& [service, queue] : queues_)
    for (const auto& job : queue)
      if (match(job) && !can_be_served(job)) {
        return "a " + worker_program(job.service) + " for " + job.server;
      }
  return "";
}

bool JobBroker::dispatch(Events& events) {
  bool any = false;
  for (auto& [service, queue] : queues_) {
    for (size_t i = 0; i < queue.size();) {
      std::string peer = pick_worker(service, queue[i].server);
      if (peer.empty()) {
        if (!has_idle_worker(service)) break;  // nothing more to give out for this service
        ++i;                                   // only restricted workers idle: try the next job
        continue;
      }
      Job& job = queue[i];
      ++job.attempts;
      std::string message_id = message_prefix_ + "-" + std::to_string(++message_counter_);
      json body = job.body.is_object() ? job.body : json::object();
      body["job"] = job.id;
      body["attempt"] = job.attempts;
      body["id"] = message_id;
      if (!send_to(peer, Message{job.type, std::move(body)})) {
        --job.attempts;  // it never left: not an attempt
        spdlog::info("worker {} is unreachable: dropped", workers_.at(peer).name);
        drop_worker(peer, "worker disconnected", events);
        continue;  // the same job, another worker
      }
      Worker& w = workers_.at(peer);
      w.job = job.id;
      spdlog::debug("job {} attempt {} sent to worker {}", job.id, job.attempts, w.name);
      std::string id = job.id;  // not job.id itself: the job is moved in the same call
      in_flight_.emplace(std::move(id), InFlight{std::move(job), peer, message_id, now_() + options_.lease});
      queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(i));
      any = true;
    }
  }
  return any;
}

std::string JobBroker::pick_worker(const std::string& service, const std::string& server) const {
  const std::string* best = nullptr;
  uint64_t best_since = std::numeric_limits<uint64_t>::max();
  for (const auto& [peer, w] : workers_) {
    if (w.service != service || !w.job.empty()) continue;
    if (!w.servers.empty() && !w.servers.count(server)) continue;
    if (w.idle_since < best_since) {
      best = &peer;
      best_since = w.idle_since;
    }
  }
  return best ? *best : std::string();
}

bool JobBroker::send_to(const std::string& peer, const Message& message) {
  bool sent = send_message(socket_, message, peer);
  if (auto w = workers_.find(peer); sent && w != workers_.end()) w->second.last_sent = now_();
  return sent;
}

void JobBroker::drop_worker(const std::string& peer, const std::string& reason, Events& events) {
  auto w = workers_.find(peer);
  if (w == workers_.end()) return;
  std::string job_id = w->second.job;
  workers_.erase(w);
  if (job_id.empty()) return;
  auto f = in_flight_.find(job_id);
  if (f == in_flight_.end()) return;
  Job job = std::move(f->second.job);
  in_flight_.erase(f);
  job.last_error = reason;
  requeue_or_fail(std::move(job), true, events);
}

void JobBroker::finish(std::unordered_map<std::string, InFlight>::iterator in_flight) {
  if (auto w = workers_.find(in_flight->second.peer); w != workers_.end()) {
    w->second.job.clear();
    w->second.idle_since = ++idle_counter_;
  }
  in_flight_.erase(in_flight);
}

void JobBroker::requeue_or_fail(Job job, bool front, Events& events) {
  if (job.attempts >= options_.max_attempts) {
    spdlog::debug("job {} failed after {} attempts: {}", job.id, job.attempts, job.last_error);
    job_ids_.erase(job.id);
    json error{{"error", job.last_error}};
    events.push_back({BrokerEvent::Kind::failed, std::move(job), std::move(error)});
    return;
  }
  spdlog::debug("job {} requeued after attempt {}: {}", job.id, job.attempts, job.last_error);
  job.served_at = now_();
  auto& queue = queues_[job.service];
  if (front)
    queue.push_front(std::move(job));
  else
    queue.push_back(std::move(job));
}

size_t JobBroker::cancel_queued(const std::function<bool(const Job&)>& match) {
  size_t dropped = 0;
  for (auto& [service, queue] : queues_) {
    auto keep = std::stable_partition(queue.begin(), queue.end(), [&](const Job& j) { return !match(j); });
    for (auto it = keep; it != queue.end(); ++it) job_ids_.erase(it->id);
    dropped += static_cast<size_t>(queue.end() - keep);
    queue.erase(keep, queue.end());
  }
  return dropped;
}

size_t JobBroker::queued() const {
  size_t n = 0;
  for (const auto& [service, queue] : queues_) n += queue.size();
  return n;
}

size_t JobBroker::in_flight() const { return in_flight_.size(); }

size_t JobBroker::workers(std::string_view service) const {
  return static_cast<size_t>(
      std::count_if(workers_.begin(), workers_.end(), [&](const auto& w) { return w.second.service == service; }));
}

bool JobBroker::has_idle_worker(const std::string& service) const {
  return std::any_of(workers_.begin(), workers_.end(),
                     [&](const auto& w) { return w.second.service == service && w.second.job.empty(); });
}

bool JobBroker::dispatchable() const {
  for (const auto& [service, queue] : queues_) {
    if (queue.empty() || !has_idle_worker(service)) continue;
    for (const auto& job : queue)
      if (!pick_worker(service, job.server).empty()) return true;
  }
  return false;
}

std::chrono::milliseconds JobBroker::next_timeout() const {
  if (dispatchable()) return std::chrono::milliseconds(0);
  const auto now = now_();
  auto soonest = now + options_.heartbeat_interval;
  for (const auto& [peer, w] : workers_) {
    soonest = std::min(soonest, w.last_sent + options_.heartbeat_interval);
    soonest = std::min(soonest, w.last_heard + options_.heartbeat_interval * options_.liveness);
  }
  for (const auto& [id, f] : in_flight_) soonest = std::min(soonest, f.deadline);
  for (const auto& [service, queue] : queues_)
    for (const auto& job : queue) soonest = std::min(soonest, job.served_at + options_.queue_timeout);
  if (soonest <= now) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(soonest - now);
}

}  // namespace ws
