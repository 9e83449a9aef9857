#include "config_keys.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <cmath>

#include "ws/text.h"
#include "yaml_reader.h"

namespace ws::config_keys {
namespace {

using Setter = std::function<std::string(AppConfig&, std::string_view)>;

std::string quoted(std::string_view v) { return "'" + std::string(v) + "'"; }

// "" when `text` is a whole number in min..max (then in `out`), else why not.
std::string whole_number(std::string_view text, int64_t min, int64_t max, int64_t& out) {
  auto v = yaml::parse_int(text);
  if (!v) return quoted(text) + " is not a whole number";
  if (*v < min || *v > max) return std::to_string(*v) + " is out of range " + std::to_string(min) + ".." + std::to_string(max);
  out = *v;
  return "";
}

Setter int_in(int64_t min, int64_t max, int AppConfig::*member) {
  return [=](AppConfig& c, std::string_view text) -> std::string {
    int64_t v = 0;
    std::string reason = whole_number(text, min, max, v);
    if (reason.empty()) c.*member = static_cast<int>(v);
    return reason;
  };
}

// A whole number in min..max stored through `field` (for keys of nested sections).
template <typename T>
Setter whole_in(int64_t min, int64_t max, T& (*field)(AppConfig&)) {
  return [=](AppConfig& c, std::string_view text) -> std::string {
    int64_t v = 0;
    std::string reason = whole_number(text, min, max, v);
    if (reason.empty()) field(c) = static_cast<T>(v);
    return reason;
  };
}

std::string duration_check(std::string_view text, std::chrono::seconds min, std::chrono::seconds max, bool zero_ok,
                           std::chrono::seconds& out) {
  auto v = parse_duration(text);
  if (!v) return quoted(text) + " is not a duration like 30, 30s, 15m or 1h";
  if (zero_ok && v->count() == 0) {
    out = *v;
    return "";
  }
  if (*v < min || *v > max) {
    return format_duration(*v) + " is out of range " + (zero_ok ? "0 (off) or " : "") + format_duration(min) + ".." +
           format_duration(max);
  }
  out = *v;
  return "";
}

Setter every(std::chrono::seconds AppConfig::*member) {
  return [=](AppConfig& c, std::string_view text) {
    return duration_check(text, std::chrono::minutes(1), std::chrono::hours(24 * 7), true, c.*member);
  };
}

Setter seconds_in(std::chrono::seconds min, std::chrono::seconds max, int AppConfig::*member) {
  return [=](AppConfig& c, std::string_view text) {
    std::chrono::seconds v{0};
    std::string reason = duration_check(text, min, max, false, v);
    if (reason.empty()) c.*member = static_cast<int>(v.count());
    return reason;
  };
}

Setter one_of(std::vector<std::string> allowed, std::string AppConfig::*member) {
  return [=](AppConfig& c, std::string_view text) -> std::string {
    std::string t = ascii_lower(trim(text));
    if (t == "warning") t = "warn";
    for (const auto& a : allowed) {
      if (a == t) {
        c.*member = t;
        return "";
      }
    }
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return quoted(text) + " is not one of " + list;
  };
}

Setter endpoint(std::string EndpointsConfig::*member) {
  return [=](AppConfig& c, std::string_view text) -> std::string {
    const std::string t(trim(text));
    for (const char* scheme : {"tcp://", "ipc://", "inproc://"}) {
      if (t.rfind(scheme, 0) == 0 && t.size() > std::string_view(scheme).size()) {
        c.endpoints.*member = t;
        return "";
      }
    }
    return quoted(text) + " is not a ZeroMQ endpoint (tcp://HOST:PORT, ipc://PATH or inproc://NAME)";
  };
}

std::string set_listen(AppConfig& c, std::string_view text) {
  const std::string t(trim(text));
  const size_t colon = t.rfind(':');
  if (colon == std::string::npos || colon == 0) return quoted(text) + " is not HOST:PORT";
  auto port = yaml::parse_int(std::string_view(t).substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) return quoted(text) + " has no port in range 0..65535";
  c.webhook.listen = t;
  return "";
}

// "1048576", "512K", "16M", "8G", "1T" (also KiB, MiB, GiB, TiB; powers of 1024).
std::optional<uint64_t> parse_byte_size(std::string_view text) {
  std::string t = ascii_lower(trim(text));
  uint64_t unit = 1;
  for (auto [suffix, shift] : {std::pair{"kib", 10}, {"mib", 20}, {"gib", 30}, {"tib", 40}, {"k", 10}, {"m", 20},
                               {"g", 30}, {"t", 40}}) {
    const std::string_view s(suffix);
    if (t.size() > s.size() && t.compare(t.size() - s.size(), s.size(), s) == 0) {
      t = std::string(trim(std::string_view(t).substr(0, t.size() - s.size())));
      unit = uint64_t(1) << shift;
      break;
    }
  }
  auto v = yaml::parse_int(t);
  if (!v || *v < 0 || static_cast<uint64_t>(*v) > UINT64_MAX / unit) return std::nullopt;
  return static_cast<uint64_t>(*v) * unit;
}

// A size in bytes within min..max; `range` is how the docs and messages show the range.
Setter bytes_in(uint64_t min, uint64_t max, std::string range, size_t& (*field)(AppConfig&)) {
  return [=](AppConfig& c, std::string_view text) -> std::string {
    auto bytes = parse_byte_size(text);
    if (!bytes) return quoted(text) + " is not a size in bytes (like 1048576, 512K, 1M or 8G)";
    if (*bytes < min || *bytes > max) return std::to_string(*bytes) + " bytes is out of range " + range;
    field(c) = static_cast<size_t>(*bytes);
    return "";
  };
}

// true/false (also yes/no, on/off, 1/0).
Setter flag(bool AppConfig::*member) {
  return [=](AppConfig& c, std::string_view text) -> std::string {
    auto v = yaml::parse_bool(text);
    if (!v) return quoted(text) + " is not true or false";
    c.*member = *v;
    return "";
  };
}

// A share of a server's items: "0.1" or "10%", within 0..1.
Setter share(double AppConfig::*member) {
  return [=](AppConfig& c, std::string_view text) -> std::string {
    std::string t(trim(text));
    double scale = 1.0;
    if (!t.empty() && t.back() == '%') {
      t.pop_back();
      scale = 100.0;
    }
    double v = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(v)) {
      return quoted(text) + " is not a share like 0.1 or 10%";
    }
    v /= scale;
    if (v < 0.0 || v > 1.0) return quoted(text) + " is out of range 0..1 (0%..100%)";
    c.*member = v;
    return "";
  };
}

std::vector<KeySpec> build() {
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  const AppConfig d;
  const EndpointsConfig e;
  auto doc = [](std::string key, std::string def, std::string range, std::string description, bool secret = false) {
    ConfigKeyDoc out{key, env_name(key), std::move(def), std::move(range), std::move(description), secret};
    return out;
  };
  return {
      {doc("webhook.apikey", "(none: run config:generate)", "any text (config:generate makes 64 hex digits)",
           "key webhook senders must give (?apikey= or X-Apikey)", true),
       [](AppConfig& c, std::string_view t) {
         c.webhook.apikey = std::string(trim(t));
         return std::string();
       }},
      {doc("webhook.listen", d.webhook.listen, "HOST:PORT, port 0..65535", "address ingest listens on"), set_listen},
      {doc("webhook.max_body", std::to_string(d.webhook.max_body), "1024..67108864 bytes (K and M suffixes accepted)",
           "largest webhook body accepted; larger gets 413"),
       bytes_in(1024, uint64_t(64) << 20, "1024..67108864 (1K..64M)",
                [](AppConfig& c) -> size_t& { return c.webhook.max_body; })},
      {doc("webhook.spool_max", std::to_string(d.webhook.spool_max), "100..10000000",
           "accepted webhooks ingest keeps before the reconciler acks them; when full it answers 503"),
       whole_in(100, 10000000, +[](AppConfig& c) -> size_t& { return c.webhook.spool_max; })},
      {doc("webhook.max_attempts", std::to_string(d.webhook.max_attempts), "1..1000",
           "refusals of one webhook event before it moves to the spool's failed list"),
       whole_in(1, 1000, +[](AppConfig& c) -> int& { return c.webhook.max_attempts; })},
      {doc("store.map_size", "8G", "1M..16T (K, M, G and T suffixes accepted)",
           "address space reserved for the state (LMDB map size); writes fail once the state fills it"),
       bytes_in(uint64_t(1) << 20, uint64_t(16) << 40, "1M..16T",
                [](AppConfig& c) -> size_t& { return c.store.map_size; })},
      {doc("import.every", "0 (off)", "0 (off) or 1m..7d", "how often every server is imported"),
       every(&AppConfig::import_every)},
      {doc("import.full_every", format_duration(d.import_full_every), "0 (every import is full) or 1m..30d",
           "a server is imported whole (and what it no longer lists pruned) at least this often; imports in "
           "between ask only for what changed"),
       [](AppConfig& c, std::string_view text) {
         return duration_check(text, minutes(1), hours(24 * 30), true, c.import_full_every);
       }},
      {doc("import.delta_margin", format_duration(d.import_delta_margin), "0s..1d",
           "an incremental import asks for changes since this long before the last import started (clock skew)"),
       [](AppConfig& c, std::string_view text) {
         return duration_check(text, seconds(0), hours(24), true, c.import_delta_margin);
       }},
      {doc("import.jellyfin_delta", d.import_jellyfin_delta ? "true" : "false", "true or false",
           "import Jellyfin servers by delta too; its change filter sees new items but no watch-state change, so "
           "turn it on only when Jellyfin's webhooks reach ingest"),
       flag(&AppConfig::import_jellyfin_delta)},
      {doc("export.every", "0 (off)", "0 (off) or 1m..7d", "how often every server is exported (push mode)"),
       every(&AppConfig::export_every)},
      {doc("export.concurrency", std::to_string(d.export_concurrency), "1..64", "concurrent write requests per server"),
       int_in(1, 64, &AppConfig::export_concurrency)},
      {doc("export.guard", "0.1", "0..1 (or 0%..100%)",
           "refuse an export plan that unmarks more than this share of a server's played items"),
       share(&AppConfig::export_guard_share)},
      {doc("export.guard_window", "24h", "1m..30d",
           "the export guard counts the unmarks written to a server within this window with the planned ones"),
       seconds_in(minutes(1), hours(24 * 30), &AppConfig::export_guard_window_s)},
      {doc("export.max_ignored", std::to_string(d.export_max_ignored), "1..100",
           "a write a server answers as done but ignores is retried at the next exports this many times in all, "
           "then reported and no longer planned"),
       int_in(1, 100, &AppConfig::export_max_ignored)},
      {doc("import.prune_guard", "0.1", "0..1 (or 0%..100%)",
           "refuse to prune (an import finding items gone) more than this share of a server's items"),
       share(&AppConfig::import_prune_guard_share)},
      {doc("page_size", std::to_string(d.page_size), std::to_string(kPageSizeMin) + ".." + std::to_string(kPageSizeMax),
           "items asked of a server per page"),
       int_in(kPageSizeMin, kPageSizeMax, &AppConfig::page_size)},
      {doc("progress.min_delta", format_duration(seconds(d.progress_min_delta_s)), "0s..10m",
           "a resume position must move more than this to count"),
       seconds_in(seconds(0), minutes(10), &AppConfig::progress_min_delta_s)},
      {doc("progress.rewatch_threshold", format_duration(seconds(d.progress_rewatch_threshold_s)), "0s..24h",
           "progress on a played item is kept only past this (a rewatch)"),
       seconds_in(seconds(0), hours(24), &AppConfig::progress_rewatch_threshold_s)},
      {doc("mapper.multi_episode_max", std::to_string(d.multi_episode_max), "1..50",
           "most episodes one multi-episode file becomes"),
       int_in(1, 50, &AppConfig::multi_episode_max)},
      {doc("log.level", d.log_level, "trace, debug, info, warn, error", "least severe level logged (-v/-vv/-vvv raise it)"),
       one_of({"trace", "debug", "info", "warn", "error"}, &AppConfig::log_level)},
      {doc("log.format", d.log_format, "text, json", "text lines, or one JSON object per line"),
       one_of({"text", "json"}, &AppConfig::log_format)},
      {doc("endpoints.workers", e.workers, "tcp://, ipc:// or inproc:// endpoint",
           "reconciler ROUTER that fetchers and exporters connect to"),
       endpoint(&EndpointsConfig::workers)},
      {doc("endpoints.events", e.events, "tcp://, ipc:// or inproc:// endpoint", "reconciler ROUTER ingest sends events to"),
       endpoint(&EndpointsConfig::events)},
      {doc("endpoints.control", e.control, "tcp://, ipc:// or inproc:// endpoint", "reconciler ROUTER the CLI talks to"),
       endpoint(&EndpointsConfig::control)},
      {doc("endpoints.max_message", "16M", "1M..1G (K, M and G suffixes accepted)",
           "largest message a process accepts (ZMQ_MAXMSGSIZE); a larger one is dropped with its connection"),
       bytes_in(uint64_t(1) << 20, uint64_t(1) << 30, "1M..1G",
                [](AppConfig& c) -> size_t& { return c.endpoints.max_message; })},
      {doc("jobs.lease", format_duration(seconds(d.job_lease_s)), "5s..1h",
           "a job not finished within this goes to another worker"),
       seconds_in(seconds(5), hours(1), &AppConfig::job_lease_s)},
      {doc("jobs.max_attempts", std::to_string(d.job_max_attempts), "1..100", "a job failing this often is recorded failed"),
       int_in(1, 100, &AppConfig::job_max_attempts)},
      {doc("jobs.queue_timeout", format_duration(seconds(d.job_queue_timeout_s)), "1s..1h",
           "a queued job that no connected worker can take fails after this, naming what is missing"),
       seconds_in(seconds(1), hours(1), &AppConfig::job_queue_timeout_s)},
  };
}

}  // namespace

const std::vector<KeySpec>& all() {
  static const std::vector<KeySpec> specs = build();
  return specs;
}

const KeySpec* find(std::string_view key) {
  for (const auto& spec : all()) {
    if (spec.doc.key == key) return &spec;
  }
  return nullptr;
}

bool is_section(std::string_view key) {
  const std::string prefix = std::string(key) + ".";
  for (const auto& spec : all()) {
    if (spec.doc.key.rfind(prefix, 0) == 0) return true;
  }
  return std::string(kIgnoredMapperType).rfind(prefix, 0) == 0;
}

std::string env_name(std::string_view key) {
  std::string out = "WS_";
  for (char c : key) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace ws::config_keys

namespace ws {

std::string format_duration(std::chrono::seconds value) {
  const int64_t s = value.count();
  if (s != 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  const std::string t = ascii_lower(trim(text));
  if (t.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  bool bare_number = false;
  while (i < t.size()) {
    if (bare_number) return std::nullopt;  // "30 15m": a unit-less number must stand alone
    size_t j = i;
    while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
    if (j == i || j - i > 9) return std::nullopt;
    const int64_t n = std::stoll(t.substr(i, j - i));
    while (j < t.size() && t[j] == ' ') ++j;
    int64_t unit = 1;
    if (j == t.size()) {
      bare_number = true;
    } else {
      switch (t[j]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return std::nullopt;
      }
      ++j;
      while (j < t.size() && t[j] == ' ') ++j;
    }
    total += n * unit;
    if (total > int64_t(10) * 365 * 86400) return std::nullopt;
    i = j;
  }
  return std::chrono::seconds(total);
}

const std::vector<ConfigKeyDoc>& config_key_docs() {
  static const std::vector<ConfigKeyDoc> docs = [] {
    std::vector<ConfigKeyDoc> out;
    for (const auto& spec : config_keys::all()) out.push_back(spec.doc);
    return out;
  }();
  return docs;
}

}  // namespace ws
