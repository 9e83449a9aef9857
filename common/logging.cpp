#include "ws/logging.h"

#include <chrono>
#include <deque>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "ws/redact.h"

namespace ws {
namespace {

std::mutex g_secrets_mu;
std::vector<std::string> g_secrets;

// Messages printed at error level, oldest first; bounded (a long-running process logs many).
constexpr size_t kRememberedErrors = 256;
std::mutex g_errors_mu;
std::deque<std::string> g_logged_errors;

void remember_error(std::string_view message) {
  std::lock_guard<std::mutex> lock(g_errors_mu);
  if (g_logged_errors.size() == kRememberedErrors) g_logged_errors.pop_front();
  g_logged_errors.emplace_back(message);
}

std::mutex g_warned_mu;
std::set<std::string> g_warned;

std::string iso_time(spdlog::log_clock::time_point tp) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

// Text: spdlog's pattern, then redaction. JSON: {"ts","level","logger","msg"} per line.
class RedactingFormatter final : public spdlog::formatter {
 public:
  explicit RedactingFormatter(bool json) : json_(json), pattern_("[%Y-%m-%d %H:%M:%S.%e] [%l] %v") {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    if (msg.level >= spdlog::level::err) remember_error(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string line;
    if (json_) {
      nlohmann::json j;
      j["ts"] = iso_time(msg.time);
      j["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                               spdlog::level::to_string_view(msg.level).size());
      j["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
      j["msg"] = redact(std::string_view(msg.payload.data(), msg.payload.size()));
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      line += '\n';
    } else {
      spdlog::memory_buf_t raw;
      pattern_.format(msg, raw);
      line = redact(std::string_view(raw.data(), raw.size()));
    }
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<RedactingFormatter>(json_); }

 private:
  bool json_;
  spdlog::pattern_formatter pattern_;
};

std::optional<spdlog::level::level_enum> parse_level(std::string_view level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "info") return spdlog::level::info;
  if (level == "warn" || level == "warning") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  return std::nullopt;
}

}  // namespace

std::string log_level_for(int verbosity, std::string_view configured_level) {
  static const char* by_verbosity[] = {nullptr, "info", "debug", "trace"};
  if (verbosity <= 0) return std::string(configured_level);
  const std::string wanted = by_verbosity[std::min(verbosity, 3)];
  auto configured = parse_level(configured_level);
  // spdlog levels grow with severity: the smaller one is the more verbose.
  if (configured && *configured < *parse_level(wanted)) return std::string(configured_level);
  return wanted;
}

Result<Ok> setup_logging(int verbosity, std::string_view level, std::string_view format, std::ostream* stream) {
  const std::string effective = log_level_for(verbosity, level);
  auto parsed = parse_level(effective);
  if (!parsed) {
    return make_error(ErrorKind::invalid_input,
                      "log level '" + std::string(level) + "' is not one of trace, debug, info, warn, error");
  }
  if (format != "text" && format != "json") {
    return make_error(ErrorKind::invalid_input, "log format '" + std::string(format) + "' is not one of text, json");
  }
  spdlog::sink_ptr sink;
  if (stream) {
    sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*stream, /*force_flush=*/true);
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  sink->set_formatter(std::make_unique<RedactingFormatter>(format == "json"));
  auto logger = std::make_shared<spdlog::logger>("ws", sink);
  logger->set_level(*parsed);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return Ok{};
}

void add_log_secrets(const std::vector<std::string>& secrets) {
  std::lock_guard<std::mutex> lock(g_secrets_mu);
  for (const auto& s : secrets) {
    if (s.size() >= kMinLogSecretLength && std::find(g_secrets.begin(), g_secrets.end(), s) == g_secrets.end())
      g_secrets.push_back(s);
  }
}

std::string redact(std::string_view text) {
  std::vector<std::string> secrets;
  {
    std::lock_guard<std::mutex> lock(g_secrets_mu);
    secrets = g_secrets;
  }
  return redact_secrets(redact_url(text), secrets);
}

bool first_warning(const std::string& message) {
  std::lock_guard<std::mutex> lock(g_warned_mu);
  return g_warned.insert(message).second;
}

void warn_once(const std::string& message) {
  if (first_warning(message)) spdlog::warn("{}", message);
}

bool logged_as_error(std::string_view message) {
  std::lock_guard<std::mutex> lock(g_errors_mu);
  return std::find(g_logged_errors.begin(), g_logged_errors.end(), message) != g_logged_errors.end();
}

void forget_shown_messages() {
  {
    std::lock_guard<std::mutex> lock(g_warned_mu);
    g_warned.clear();
  }
  std::lock_guard<std::mutex> lock(g_errors_mu);
  g_logged_errors.clear();
}

std::string format_log_line_for_test(std::string_view format, std::string_view level, std::string_view message) {
  RedactingFormatter formatter(format == "json");
  spdlog::details::log_msg msg("ws", parse_level(level).value_or(spdlog::level::info),
                               spdlog::string_view_t(message.data(), message.size()));
  spdlog::memory_buf_t buf;
  formatter.format(msg, buf);
  std::string out(buf.data(), buf.size());
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace ws
