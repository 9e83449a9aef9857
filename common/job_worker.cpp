#include "ws/job_worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>

#include "ws/message_fields.h"
#include "ws/zmq_channel.h"

namespace ws {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Handed from a job thread to the socket thread. Bounded: a handler that produces pages faster
// than the socket takes them waits (no unbounded queue).
struct JobChannel {
  static constexpr size_t kMaxQueued = 8;

  std::mutex mu;
  std::condition_variable space;  // the socket thread took messages, or the job was cancelled
  std::deque<Message> queue;
  bool finished = false;          // the final job.done / job.failed is queued
  std::atomic<bool> cancel{false};
  int wake_fd = -1;               // eventfd the socket thread polls beside the socket

  void wake() const {
    uint64_t one = 1;
    ssize_t n = ::write(wake_fd, &one, sizeof one);
    (void)n;  // EAGAIN only when the counter is saturated: the socket thread is awake anyway
  }

  // Queues a batch; false when the job was cancelled (the batch is dropped).
  bool push_batch(Message message) {
    {
      std::unique_lock<std::mutex> lock(mu);
      space.wait(lock, [&] { return cancel.load() || queue.size() < kMaxQueued; });
      if (cancel.load()) return false;
      queue.push_back(std::move(message));
    }
    wake();
    return true;
  }

  // Queues the job's last message, whatever the queue's size (it is bounded by kMaxQueued + 1).
  void finish(Message message) {
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(std::move(message));
      finished = true;
    }
    wake();
  }

  void set_cancelled() {
    cancel.store(true);
    std::lock_guard<std::mutex> lock(mu);
    space.notify_all();
  }
};

JobContext::JobContext(JobChannel& channel, std::string job, int64_t attempt)
    : channel_(channel), job_(std::move(job)), attempt_(attempt) {}

void JobContext::send_batch(nlohmann::json body, std::string items_msgpack) {
  if (!body.is_object()) body = nlohmann::json::object();
  body["job"] = job_;
  body["attempt"] = attempt_;
  body["seq"] = seq_.fetch_add(1);
  stamp_message(body);  // now, not on each send: a batch is large, and a send may be retried
  channel_.push_batch(Message{std::string(protocol::kBatchItems), std::move(body), std::move(items_msgpack)});
}

bool JobContext::cancelled() const { return channel_.cancel.load(); }

bool is_retryable(const Error& error) {
  switch (error.kind) {
    case ErrorKind::unavailable:
    case ErrorKind::io:
    case ErrorKind::corruption:
      return true;
    case ErrorKind::not_found:
    case ErrorKind::invalid_input:
    case ErrorKind::unauthorized:
      return false;
  }
  return false;
}

std::string default_worker_name(const std::string& prefix) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return prefix + "-" + (host[0] ? std::string(host) : std::string("host")) + "-" + std::to_string(::getpid());
}

namespace {

Message failed_message(const std::string& job, int64_t attempt, const std::string& error, bool retryable) {
  return Message{std::string(protocol::kJobFailed),
                 {{"job", job}, {"attempt", attempt}, {"error", error}, {"retryable", retryable}}};
}

std::string id_of(const Message& message) {
  auto it = message.body.find("id");
  return it != message.body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

// One connection to the broker, and the job running on it (if any). Lives on run()'s thread.
class JobWorker::Session {
 public:
  Session(JobWorker& worker, int wake_fd) : w_(worker), wake_fd_(wake_fd) {}
  ~Session() { abandon_job(); }

  // Connects and says worker.ready. False when the endpoint is unusable (logged).
  bool connect() {
    try {
      socket_.emplace(w_.context_, zmq::socket_type::dealer);
      configure_socket(*socket_, w_.options_.max_message);
      if (w_.options_.curve) {
        apply_curve_client(*socket_, *w_.options_.curve);
        watch_handshakes();
      }
      socket_->connect(w_.options_.endpoint);
    } catch (const zmq::error_t& e) {
      spdlog::error("{}: cannot connect to {}: {}", w_.options_.name, w_.options_.endpoint, e.what());
      close();
      return false;
    }
    w_.connects_.fetch_add(1);  // before worker.ready: whoever hears it can count on it
    nlohmann::json servers = nlohmann::json::array();
    for (const auto& s : w_.options_.servers) servers.push_back(s);
    send(Message{std::string(protocol::kWorkerReady),
                 {{"worker", w_.options_.name}, {"serves", w_.options_.service}, {"servers", servers}}});
    last_heard_ = Clock::now();
    spdlog::debug("{}: ready on {} (serves {})", w_.options_.name, w_.options_.endpoint, w_.options_.service);
    return true;
  }

  // Polls until stop() or until the broker has been silent too long. Sets `heard` once the broker
  // said anything on this connection (that resets the backoff).
  enum class End { stopped, broker_silent };
  End serve(bool& heard) {
    const auto interval = w_.options_.heartbeat;
    const auto dead_after = interval * w_.options_.liveness;
    while (!w_.stop_.load()) {
      const auto now = Clock::now();
      auto wait = std::min<milliseconds>(
          milliseconds(100), std::chrono::duration_cast<milliseconds>(last_sent_ + interval - now));
      if (wait < milliseconds(0)) wait = milliseconds(0);
      zmq::pollitem_t items[] = {{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0},
                                 {nullptr, wake_fd_, ZMQ_POLLIN, 0},
                                 {handshakes_ ? handshakes_->handle() : nullptr, 0, ZMQ_POLLIN, 0}};
      try {
        zmq::poll(items, handshakes_ ? 3 : 2, wait);
        report_failed_handshakes();
        if (items[1].revents & ZMQ_POLLIN) {
          uint64_t counter;
          ssize_t n = ::read(wake_fd_, &counter, sizeof counter);
          (void)n;
        }
        while (auto envelope = receive_message(*socket_, false)) {
          last_heard_ = Clock::now();
          heard = true;
          handle_guarded(*envelope);
        }
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;  // a signal (SIGTERM's handler calls stop()): look at the flag
        if (e.num() == ETERM) {          // the context is being closed: nothing more can be sent
          spdlog::warn("{}: the zmq context was closed; stopping", w_.options_.name);
          w_.stop();
          continue;
        }
        throw;
      }
      pump_job();
      if (Clock::now() - last_sent_ >= interval)
        send(Message{std::string(protocol::kHeartbeat), {{"worker", w_.options_.name}}});
      if (Clock::now() - last_heard_ >= dead_after) return End::broker_silent;
    }
    return End::stopped;
  }

  // stop(): the running job is cancelled, reported as a retryable failure so the broker
  // requeues it at once, and the socket lingers briefly so that report leaves.
  void finish_stopped() {
    if (job_) {
      job_->channel->set_cancelled();
      if (job_->thread.joinable()) job_->thread.join();
      pump_job();
    }
    if (socket_) {
      try {
        socket_->set(zmq::sockopt::linger, 100);
      } catch (const zmq::error_t&) {
        // ETERM: the context is closing; the socket closes without lingering
      }
      close();
    }
  }

  // The broker went silent: its view of our job is gone (it requeued it or restarted), so the
  // job is cancelled and whatever it still wanted to send is dropped.
  void abandon_job() {
    if (!job_) return;
    job_->channel->set_cancelled();
    if (job_->thread.joinable()) job_->thread.join();
    job_.reset();
  }

  void close() {
    if (handshakes_ && socket_) zmq_socket_monitor(socket_->handle(), nullptr, 0);
    handshakes_.reset();
    socket_.reset();
  }

 private:
  // With CURVE the broker may refuse our key, which a worker would otherwise only see as
  // silence: a monitor reports failed handshakes, logged by report_failed_handshakes().
  void watch_handshakes() {
    static std::atomic<uint64_t> counter{0};
    const std::string address = "inproc://ws-worker-handshakes-" + std::to_string(++counter);
    constexpr int kEvents =
        ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    if (zmq_socket_monitor(socket_->handle(), address.c_str(), kEvents) != 0) return;  // only a diagnosis lost
    handshakes_.emplace(w_.context_, zmq::socket_type::pair);
    handshakes_->set(zmq::sockopt::linger, 0);
    handshakes_->connect(address);
  }

  // One error line per minute at most: every reconnect (with backoff) is refused again.
  void report_failed_handshakes() {
    if (!handshakes_) return;
    zmq::message_t event;
    bool auth = false, other = false;
    while (handshakes_->recv(event, zmq::recv_flags::dontwait)) {
      uint16_t number = 0;
      if (event.size() >= sizeof number) std::memcpy(&number, event.data(), sizeof number);
      while (event.more()) {  // the endpoint frame
        zmq::message_t rest;
        (void)handshakes_->recv(rest);
        event = std::move(rest);
      }
      (number == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? auth : other) = true;
    }
    if ((!auth && !other) || Clock::now() - handshake_logged_ < std::chrono::minutes(1)) return;
    handshake_logged_ = Clock::now();
    const auto& keys = *w_.options_.curve;
    if (auth) {
      spdlog::error("{}: the broker at {} refused our CURVE key (fingerprint {}): it knows only the .pub files of "
                    "its own keys folder; copy that folder here, or this key's .pub there and restart the reconciler",
                    w_.options_.name, w_.options_.endpoint, curve_fingerprint(keys.own.public_z85));
    } else {
      spdlog::error("{}: the CURVE handshake with {} failed: is its key the one in reconciler.pub (fingerprint {}), "
                    "and does it run CURVE on that endpoint?",
                    w_.options_.name, w_.options_.endpoint, curve_fingerprint(keys.server_public_z85));
    }
  }

  struct RunningJob {
    std::string job;
    int64_t attempt = 0;
    std::unique_ptr<JobChannel> channel;
    std::thread thread;
  };

  void send(const Message& message) {
    if (send_message(*socket_, message)) last_sent_ = Clock::now();
  }

  void refuse(const std::string& ref, const std::string& error, bool fatal) {
    send_refusal(*socket_, "", ref, error, fatal);
    last_sent_ = Clock::now();
  }

  // One message that makes handling throw (a field of an unexpected type, no thread for a job)
  // is dropped with a warning; it never ends run(). Socket errors go on to serve().
  void handle_guarded(Envelope& envelope) {
    try {
      handle(envelope);
    } catch (const zmq::error_t&) {
      throw;
    } catch (const std::exception& e) {
      spdlog::warn("{}: dropped a message from the broker: {}", w_.options_.name, e.what());
    }
  }

  void handle(Envelope& envelope) {
    if (!envelope.message) {
      const std::string& error = envelope.message.error().message;
      spdlog::warn("{}: refused a message from the broker: {}", w_.options_.name, error);
      // An ack is never answered, not even a malformed one, so two peers can never bounce
      // refusals back and forth.
      if (envelope.answerable()) refuse("", error, false);
      return;
    }
    const Message& message = *envelope.message;
    if (message.type == protocol::kHeartbeat) return;
    if (message.type == protocol::kAck) {
      MessageFields fields(message.type, message.body);
      const bool ok = fields.boolean_or("ok", true);
      const bool fatal = fields.boolean_or("fatal", false);
      const std::string error = fields.string_or("error", "(no reason given)");
      const std::string ref = fields.string_or("ref", "");
      if (!fields.ok()) {  // never answered, and nothing to act on
        spdlog::warn("{}: dropped a malformed ack from the broker: {}", w_.options_.name, fields.error());
        return;
      }
      if (ok) return;
      if (fatal) {
        spdlog::error("{}: the broker refused us for good: {}; stopping", w_.options_.name, error);
        w_.stop();
      } else {
        spdlog::warn("{}: the broker refused message {}: {}", w_.options_.name, ref, error);
      }
      return;
    }
    if (message.type == protocol::kJobFetch || message.type == protocol::kJobExport) {
      start_job(message);
      return;
    }
    spdlog::warn("{}: refused a '{}' message: workers do not take it", w_.options_.name, message.type);
    refuse(id_of(message), "a worker does not take '" + message.type + "' messages", false);
  }

  void start_job(const Message& message) {
    const auto& b = message.body;
    auto job_it = b.find("job");
    auto attempt_it = b.find("attempt");
    if (job_it == b.end() || !job_it->is_string() || job_it->get_ref<const std::string&>().empty() ||
        attempt_it == b.end() || !attempt_it->is_number_integer()) {
      spdlog::warn("{}: refused a '{}' without a 'job' id and an integer 'attempt'", w_.options_.name, message.type);
      refuse(id_of(message), message.type + ": needs a string 'job' and an integer 'attempt'", false);
      return;
    }
    const std::string job = job_it->get<std::string>();
    const int64_t attempt = attempt_it->get<int64_t>();
    const std::string_view wanted = w_.options_.service == protocol::kServiceFetch ? protocol::kJobFetch
                                                                                    : protocol::kJobExport;
    if (message.type != wanted) {
      spdlog::warn("{}: got {} {} but serves {}", w_.options_.name, message.type, job, w_.options_.service);
      refuse(id_of(message), "worker '" + w_.options_.name + "' serves " + w_.options_.service + " jobs, not " +
                                 message.type, false);
      return;
    }
    if (job_) {
      spdlog::warn("{}: got job {} while job {} is running", w_.options_.name, job, job_->job);
      refuse(id_of(message), "worker '" + w_.options_.name + "' is busy with job " + job_->job, false);
      return;
    }
    spdlog::debug("{}: job {} attempt {} ({})", w_.options_.name, job, attempt, message.type);
    job_ = std::make_unique<RunningJob>();
    job_->job = job;
    job_->attempt = attempt;
    job_->channel = std::make_unique<JobChannel>();
    job_->channel->wake_fd = wake_fd_;
    JobChannel* channel = job_->channel.get();
    const JobHandler& handler = w_.handler_;
    auto run = [channel, &handler, message, job, attempt] {
      JobContext ctx(*channel, job, attempt);
      Message last;
      try {
        Result<nlohmann::json> result = handler(message, ctx);
        if (channel->cancel.load()) {
          // Batches may have been dropped since the cancel: never report such a job as done.
          last = failed_message(job, attempt, "the worker stopped before the job finished", true);
        } else if (result) {
          last = Message{std::string(protocol::kJobDone),
                         {{"job", job}, {"attempt", attempt}, {"result", std::move(result.value())}}};
        } else {
          last = failed_message(job, attempt, result.error().message, is_retryable(result.error()));
        }
      } catch (const std::exception& e) {
        last = failed_message(job, attempt, std::string("internal error: ") + e.what(), false);
      } catch (...) {
        last = failed_message(job, attempt, "internal error: an unknown exception", false);
      }
      if (last.type == protocol::kJobFailed)
        spdlog::warn("job {} attempt {} failed: {}", job, attempt, last.body.value("error", std::string()));
      channel->finish(std::move(last));
    };
    try {
      job_->thread = std::thread(std::move(run));
    } catch (const std::system_error& e) {  // no thread to be had: this job fails, the worker stays
      job_.reset();
      spdlog::warn("{}: cannot start job {}: {}", w_.options_.name, job, e.what());
      send(failed_message(job, attempt, std::string("cannot start a job thread: ") + e.what(), true));
    }
  }

  // Sends what the job thread queued, in order; joins the thread once its last message left.
  void pump_job() {
    if (!job_) return;
    JobChannel& channel = *job_->channel;
    bool done = false;
    {
      std::lock_guard<std::mutex> lock(channel.mu);
      while (!channel.queue.empty()) {
        if (!send_message(*socket_, channel.queue.front())) break;  // HWM: try again next turn
        last_sent_ = Clock::now();
        channel.queue.pop_front();
      }
      channel.space.notify_all();
      done = channel.finished && channel.queue.empty();
    }
    if (done) {
      if (job_->thread.joinable()) job_->thread.join();
      spdlog::debug("{}: job {} finished", w_.options_.name, job_->job);
      job_.reset();
    }
  }

  JobWorker& w_;
  int wake_fd_;
  std::optional<zmq::socket_t> socket_;
  std::optional<zmq::socket_t> handshakes_;  // the socket's monitor, with CURVE only
  Clock::time_point handshake_logged_{};
  std::unique_ptr<RunningJob> job_;
  Clock::time_point last_heard_ = Clock::now();
  Clock::time_point last_sent_ = Clock::now();
};

JobWorker::JobWorker(zmq::context_t& context, JobWorkerOptions options, JobHandler handler)
    : context_(context), options_(std::move(options)), handler_(std::move(handler)) {
  if (options_.endpoint.empty()) throw std::invalid_argument("JobWorker: empty endpoint");
  if (options_.service != protocol::kServiceFetch && options_.service != protocol::kServiceExport)
    throw std::invalid_argument("JobWorker: service must be fetch or export, not '" + options_.service + "'");
  if (options_.heartbeat < milliseconds(1)) throw std::invalid_argument("JobWorker: heartbeat under 1 ms");
  if (options_.liveness < 1) throw std::invalid_argument("JobWorker: liveness under 1");
  if (!handler_) throw std::invalid_argument("JobWorker: no handler");
  try {  // a malformed endpoint is a start-up error, not something to find out in run()
    zmq::socket_t probe(context_, zmq::socket_type::dealer);
    probe.set(zmq::sockopt::linger, 0);
    probe.connect(options_.endpoint);
  } catch (const zmq::error_t& e) {
    throw std::invalid_argument("endpoints.workers: cannot connect to '" + options_.endpoint + "': " + e.what());
  }
  if (options_.name.empty()) options_.name = std::string(options_.service) + "-worker";
  if (options_.reconnect_initial < milliseconds(1)) options_.reconnect_initial = milliseconds(1);
  if (options_.reconnect_max < options_.reconnect_initial) options_.reconnect_max = options_.reconnect_initial;
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error(std::string("JobWorker: eventfd failed: ") + std::strerror(errno));
}

JobWorker::~JobWorker() { ::close(wake_fd_); }

void JobWorker::stop() { stop_.store(true); }

void JobWorker::run() {
  auto backoff = options_.reconnect_initial;
  {
    Session session(*this, wake_fd_);
    while (!stop_.load()) {
      if (!session.connect()) break;
      bool heard = false;
      std::string lost;  // why this connection ended
      try {
        if (session.serve(heard) == Session::End::stopped) break;
        lost = "no word from the broker at " + options_.endpoint + " for " +
               std::to_string((options_.heartbeat * options_.liveness).count()) + " ms";
      } catch (const std::exception& e) {  // a socket error ZeroMQ did not expect: start over on a new socket
        lost = "the connection to the broker at " + options_.endpoint + " failed: " + e.what();
      }
      if (heard) backoff = options_.reconnect_initial;
      spdlog::warn("{}: {}; reconnecting in {} ms", options_.name, lost, backoff.count());
      session.abandon_job();
      session.close();
      // Waits in short slices so stop() (a bare flag) is seen within 100 ms.
      const auto until = Clock::now() + backoff;
      while (!stop_.load() && Clock::now() < until)
        std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(100), until - Clock::now()));
      backoff = std::min(backoff * 2, options_.reconnect_max);
    }
    session.finish_stopped();
  }
}

}  // namespace ws
