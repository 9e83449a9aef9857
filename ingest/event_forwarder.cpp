#include "ws/event_forwarder.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <random>

#include <spdlog/spdlog.h>

#include "ws/zmq_channel.h"

namespace ws {
namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The process part of a message id ("<prefix>-<counter>", docs/protocol.md).
std::string id_prefix(const nlohmann::json& body) {
  auto it = body.find("id");
  if (it == body.end() || !it->is_string()) return {};
  const auto& id = it->get_ref<const std::string&>();
  const size_t dash = id.rfind('-');
  return dash == std::string::npos ? id : id.substr(0, dash);
}

std::string random_prefix() {
  std::random_device rd;
  char buf[24];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

}  // namespace

EventForwarder::EventForwarder(zmq::context_t& context, Spool& spool, IngestMetrics& metrics, ForwarderOptions options)
    : context_(context),
      spool_(spool),
      metrics_(metrics),
      options_(std::move(options)),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      message_prefix_(random_prefix() + "-ev") {
  if (wake_fd_ < 0) throw std::runtime_error("ingest: eventfd failed");
  if (options_.window == 0) options_.window = 1;
  if (options_.max_attempts < 1) options_.max_attempts = 1;
}

EventForwarder::~EventForwarder() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void EventForwarder::wake() {
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void EventForwarder::stop() {
  stopping_ = true;
  wake();
}

ForwarderStatus EventForwarder::status() const {
  ForwarderStatus s;
  s.connected = connected_.load();
  s.last_ack_at = last_ack_at_.load();
  s.last_heard_at = last_heard_at_.load();
  s.in_flight = in_flight_count_.load();
  s.waiting_retry = waiting_count_.load();
  s.reconnects = reconnects_.load();
  if (const int state = store_state_.load(); state >= 0) s.store_failed = state == 1;
  std::lock_guard lock(store_error_mu_);
  s.store_error = store_error_;
  return s;
}

void EventForwarder::open_socket() {
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  configure_socket(*socket_, options_.max_message);
  if (options_.curve) apply_curve_client(*socket_, *options_.curve);
  // Queue only to a connected reconciler: while it is away, events stay in the spool, not in a
  // socket buffer that a reconnect would throw away.
  socket_->set(zmq::sockopt::immediate, 1);
  socket_->set(zmq::sockopt::sndhwm, static_cast<int>(options_.window + 16));
  socket_->connect(options_.endpoint);
  socket_opened_ = Clock::now();
  event_unanswered_since_.reset();
  beat_unanswered_since_.reset();
  blocked_ = false;
}

void EventForwarder::run() {
  open_socket();
  last_sent_ = Clock::now();
  auto last_timeout_scan = Clock::now();
  while (!stopping_) {
    zmq_pollitem_t items[] = {
        {socket_->handle(), 0, static_cast<short>(ZMQ_POLLIN | (blocked_ ? ZMQ_POLLOUT : 0)), 0},
        {nullptr, wake_fd_, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, poll_timeout());
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
      if (e.num() != EINTR) spdlog::warn("ingest: polling the events socket failed: {}", e.what());
    }
    if (items[1].revents & ZMQ_POLLIN) {
      uint64_t count = 0;
      (void)!::read(wake_fd_, &count, sizeof count);
    }
    if (items[0].revents & ZMQ_POLLOUT) blocked_ = false;
    if (stopping_) break;
    receive_all();
    check_liveness();
    release_due_retries();
    const auto now = Clock::now();
    if (now - last_timeout_scan >= options_.heartbeat) {
      last_timeout_scan = now;
      std::vector<uint64_t> late;
      for (const auto& [id, flight] : in_flight_)
        if (now - flight.sent_at >= options_.ack_timeout) late.push_back(id);
      for (uint64_t id : late) {
        by_message_id_.erase(in_flight_[id].message_id);
        in_flight_.erase(id);
        resend_.insert(id);
        ++metrics_.events_resent;
      }
      if (!late.empty()) spdlog::warn("ingest: {} events unacked after {} s are sent again", late.size(),
                                      std::chrono::duration_cast<std::chrono::seconds>(options_.ack_timeout).count());
    }
    send_dry_runs();
    if (!blocked_) send_pending();
    if (Clock::now() - last_sent_ >= options_.heartbeat) send_heartbeat();
    publish_status();
  }
  socket_.reset();
  connected_ = false;
  publish_status();
}

std::chrono::milliseconds EventForwarder::poll_timeout() const {
  using std::chrono::milliseconds;
  const auto now = Clock::now();
  auto until = last_sent_ + options_.heartbeat;
  if (!retry_at_.empty()) until = std::min(until, retry_at_.begin()->first);
  auto wait = std::chrono::duration_cast<milliseconds>(until - now) + milliseconds(1);
  return std::clamp(wait, milliseconds(1), std::chrono::duration_cast<milliseconds>(options_.heartbeat));
}

void EventForwarder::receive_all() {
  for (int i = 0; i < 10000; ++i) {
    std::optional<Envelope> env;
    try {
      env = receive_message(*socket_, false);
    } catch (const zmq::error_t& e) {
      spdlog::warn("ingest: receiving from the reconciler failed: {}", e.what());
      return;
    }
    if (!env) return;
    if (!env->message) {
      // Not answered: the reconciler never gets refusals back for what it sent (no ping-pong).
      spdlog::warn("ingest: unreadable message from the reconciler: {}", env->message.error().message);
      continue;
    }
    on_message(*env->message);
  }
}

void EventForwarder::on_message(const Message& message) {
  event_unanswered_since_.reset();
  beat_unanswered_since_.reset();
  last_heard_at_ = unix_ms();
  if (!connected_.exchange(true)) spdlog::info("ingest: the reconciler answers on {}", options_.endpoint);
  const std::string prefix = id_prefix(message.body);
  if (!prefix.empty() && prefix != peer_prefix_) {
    if (!peer_prefix_.empty()) requeue_in_flight("the reconciler restarted");
    peer_prefix_ = prefix;
  }
  if (auto store = message.body.find("store"); store != message.body.end() && store->is_object()) {
    const bool ok = store->value("ok", true);
    store_state_ = ok ? 0 : 1;
    std::lock_guard lock(store_error_mu_);
    store_error_ = ok ? "" : store->value("error", "");
  }
  if (message.type == protocol::kAck) {
    if (auto ref = message.body.find(protocol::kRefField); ref != message.body.end() && ref->is_string()) {
      if (auto dry = dry_sent_.find(ref->get<std::string>()); dry != dry_sent_.end()) {
        dry->second.answer->set_value(message.body);
        dry_sent_.erase(dry);
        return;
      }
    }
    on_ack(message.body);
  }
  // heartbeat: the sign of life (and the store's health) above is all it says.
}

void EventForwarder::on_ack(const nlohmann::json& body) {
  uint64_t id = 0;
  bool known = false;
  if (auto it = body.find(protocol::kSpoolIdField); it != body.end() && it->is_number_unsigned()) {
    id = it->get<uint64_t>();
    known = in_flight_.count(id) > 0 || resend_.count(id) > 0;
  }
  if (!known) {
    if (auto it = body.find(protocol::kRefField); it != body.end() && it->is_string()) {
      auto found = by_message_id_.find(it->get<std::string>());
      if (found != by_message_id_.end()) {
        id = found->second;
        known = true;
      }
    }
  }
  if (!known) return;  // a heartbeat's refusal, or an ack for a send given up on and acked already
  int64_t accepted_ms = 0;
  if (auto it = in_flight_.find(id); it != in_flight_.end()) {
    accepted_ms = it->second.accepted_ms;
    by_message_id_.erase(it->second.message_id);
    in_flight_.erase(it);
  }
  resend_.erase(id);
  const bool ok = body.value(std::string(protocol::kOkField), false);
  if (ok) {
    spool_.remove(id);
    attempts_.erase(id);
    ++metrics_.events_acked;
    const int64_t now_ms = unix_ms();
    last_ack_at_ = now_ms;
    if (accepted_ms > 0) metrics_.apply_latency.observe(static_cast<double>(now_ms - accepted_ms) / 1000.0);
    return;
  }
  std::string error = "refused";
  if (auto it = body.find(protocol::kErrorField); it != body.end() && it->is_string()) error = it->get<std::string>();
  bool retry = true;  // a refusal that does not say is worth another try
  if (auto it = body.find(protocol::kRetryField); it != body.end() && it->is_boolean()) retry = it->get<bool>();
  refused(id, error, retry);
}

void EventForwarder::refused(uint64_t id, const std::string& error, bool retry) {
  ++metrics_.events_refused;
  const int n = ++attempts_[id];
  if (!retry || n >= options_.max_attempts) {
    spool_.move_to_failed(id, n, error);
    attempts_.erase(id);
    ++metrics_.events_failed;
    spdlog::warn("ingest: event {} moved to the spool's failed list after {} refusal{}{}: {}", id, n, n == 1 ? "" : "s",
                 retry ? "" : " (not retryable)", error);
    return;
  }
  spool_.record_refusal(id, n, error);
  auto delay = options_.retry_base * (int64_t(1) << std::min(n - 1, 20));
  if (delay > options_.retry_max) delay = options_.retry_max;
  retry_at_.emplace(Clock::now() + delay, id);
  waiting_retry_.insert(id);
  spdlog::info("ingest: the reconciler refused event {} (refusal {} of {}), again in {} ms: {}", id, n,
               options_.max_attempts, delay.count(), error);
}

void EventForwarder::requeue_in_flight(const char* why) {
  if (in_flight_.empty()) return;
  for (const auto& [id, flight] : in_flight_) resend_.insert(id);
  metrics_.events_resent += in_flight_.size();
  spdlog::info("ingest: {}: the {} events in flight are sent again", why, in_flight_.size());
  in_flight_.clear();
  by_message_id_.clear();
}

void EventForwarder::check_liveness() {
  const auto now = Clock::now();
  const auto window = options_.heartbeat * options_.liveness;
  const bool events_late = !in_flight_.empty() && event_unanswered_since_ && now - *event_unanswered_since_ > window;
  const bool beats_late = beat_unanswered_since_ && now - *beat_unanswered_since_ > window;
  if (!events_late && !beats_late) return;
  const auto since = events_late ? *event_unanswered_since_ : *beat_unanswered_since_;
  if (connected_.exchange(false))
    spdlog::warn("ingest: the reconciler on {} has been silent for {} ms", options_.endpoint,
                 std::chrono::duration_cast<std::chrono::milliseconds>(now - since).count());
  beat_unanswered_since_.reset();
  if (events_late) {
    requeue_in_flight("the reconciler went silent");
  } else if (now - socket_opened_ < 10 * window) {
    return;  // nothing in flight: a fresh socket only now and then
  }
  // A fresh socket drops whatever a dead connection still held (zguide Paranoid Pirate).
  open_socket();
  ++reconnects_;
}

void EventForwarder::release_due_retries() {
  const auto now = Clock::now();
  while (!retry_at_.empty() && retry_at_.begin()->first <= now) {
    const uint64_t id = retry_at_.begin()->second;
    retry_at_.erase(retry_at_.begin());
    waiting_retry_.erase(id);
    resend_.insert(id);
  }
}

bool EventForwarder::send_pending() {
  while (in_flight_.size() < options_.window && !resend_.empty()) {
    const uint64_t id = *resend_.begin();
    auto entry = spool_.get(id);
    if (!entry) {
      spdlog::error("ingest: {}", entry.error().message);
      return false;
    }
    if (!*entry) {  // acked or failed meanwhile
      resend_.erase(id);
      continue;
    }
    if (!send_entry(**entry)) return false;
    resend_.erase(id);
  }
  while (in_flight_.size() < options_.window) {
    auto batch = spool_.pending(cursor_, options_.window - in_flight_.size());
    if (!batch) {
      spdlog::error("ingest: {}", batch.error().message);
      return false;
    }
    if (batch->empty()) return true;
    for (const auto& entry : *batch) {
      if (!send_entry(entry)) return false;
      cursor_ = entry.id + 1;
    }
  }
  return true;
}

bool EventForwarder::send_entry(const SpoolEntry& entry) {
  // The envelope (ids, type, field names) adds well under 1 KiB to the stored record.
  if (entry.bytes + 1024 > options_.max_message) {
    const std::string error = "the event is " + std::to_string(entry.bytes) +
                              " bytes, too large for endpoints.max_message (" + std::to_string(options_.max_message) + ")";
    spool_.move_to_failed(entry.id, entry.record.attempts, error);
    ++metrics_.events_failed;
    spdlog::warn("ingest: event {} moved to the spool's failed list: {}", entry.id, error);
    return true;  // handled: on to the next
  }
  const int refusals = attempts_.try_emplace(entry.id, entry.record.attempts).first->second;
  const std::string message_id = message_prefix_ + std::to_string(++message_counter_);
  nlohmann::json body = {{"id", message_id},
                         {protocol::kSpoolIdField, entry.id},
                         {protocol::kServerField, entry.record.server},
                         {protocol::kReceivedAtField, entry.record.received_at},
                         {protocol::kAttemptField, refusals + 1},
                         {protocol::kEventField, entry.record.event}};
  if (!send_message(*socket_, Message{std::string(protocol::kEventWebhook), std::move(body)})) {
    blocked_ = true;
    return false;
  }
  const auto now = Clock::now();
  in_flight_[entry.id] = Flight{message_id, now, entry.record.accepted_ms};
  by_message_id_[message_id] = entry.id;
  last_sent_ = now;
  if (!event_unanswered_since_) event_unanswered_since_ = now;
  return true;
}

void EventForwarder::send_heartbeat() {
  last_sent_ = Clock::now();  // also when it could not go: no retry storm
  if (send_message(*socket_, Message{std::string(protocol::kHeartbeat), nlohmann::json::object()}) &&
      !beat_unanswered_since_)
    beat_unanswered_since_ = last_sent_;
}

void EventForwarder::publish_status() {
  in_flight_count_ = in_flight_.size();
  waiting_count_ = waiting_retry_.size();
}

Result<nlohmann::json> EventForwarder::dry_run(const std::string& server, const nlohmann::json& event,
                                              int64_t received_at, std::chrono::milliseconds timeout) {
  DryRun dry;
  static std::atomic<uint64_t> counter{0};
  dry.body = {{"id", "dry-run-" + std::to_string(++counter)},
              {protocol::kServerField, server},
              {protocol::kReceivedAtField, received_at},
              {protocol::kAttemptField, 1},
              {protocol::kDryRunField, true},
              {protocol::kEventField, event}};
  dry.answer = std::make_shared<std::promise<nlohmann::json>>();
  dry.deadline = Clock::now() + timeout;
  auto answer = dry.answer->get_future();
  {
    std::lock_guard lock(dry_mu_);
    dry_queue_.push_back(std::move(dry));
  }
  wake();
  if (answer.wait_for(timeout) != std::future_status::ready)
    return make_error(ErrorKind::unavailable, "the reconciler did not answer the test event within " +
                                                  std::to_string(timeout.count() / 1000) + " s (is it running?)");
  return answer.get();
}

void EventForwarder::send_dry_runs() {
  const auto now = Clock::now();
  for (auto it = dry_sent_.begin(); it != dry_sent_.end();) {  // their callers gave up
    it = now > it->second.deadline ? dry_sent_.erase(it) : std::next(it);
  }
  std::vector<DryRun> queued;
  {
    std::lock_guard lock(dry_mu_);
    queued.swap(dry_queue_);
  }
  for (auto& dry : queued) {
    const std::string id = dry.body["id"].get<std::string>();
    if (!send_message(*socket_, Message{std::string(protocol::kEventWebhook), dry.body})) continue;  // times out
    dry_sent_.emplace(id, std::move(dry));
  }
}

}  // namespace ws
