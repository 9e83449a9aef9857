#include "fuzz_targets.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "page_differential.h"
#include "ws/config.h"
#include "ws/json_fields.h"
#include "ws/media_item_msgpack.h"
#include "ws/message.h"
#include "ws/record.h"
#include "ws/webhook_parser.h"

namespace ws::fuzz {
namespace {

// "<head>\n<rest>": the head is a frame or a header the parser gets beside the body.
std::pair<std::string_view, std::string_view> split_first_line(std::string_view input) {
  const size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return {input, {}};
  return {input.substr(0, nl), input.substr(nl + 1)};
}

WebhookRequest webhook_request(std::string_view input) {
  auto [content_type, body] = split_first_line(input);
  WebhookRequest request;
  request.content_type = std::string(content_type);
  request.body = std::string(body);
  request.received_at = 1'700'000'000;
  return request;
}

// A successful event is serialized as ingest does before it sends it on.
void use(const Result<WebhookEvent>& event) {
  if (event) {
    nlohmann::json j = event.value();
    (void)j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

// Answers every request 200 with the same body, and stops answering after a bound so a client
// loop that keeps asking (a page that never advances) ends instead of timing out the fuzzer.
class EchoTransport final : public HttpTransport {
 public:
  explicit EchoTransport(std::string body) : body_(std::move(body)) {}
  TransportResult send(const HttpRequest&) override {
    TransportResult out;
    if (++requests_ > kMaxRequests) {
      out.error = {TransportFailure::broken, "fuzz transport: request bound reached"};
      return out;
    }
    out.response.status = 200;
    out.response.headers["content-type"] = "application/json";
    out.response.body = body_;
    return out;
  }

 private:
  static constexpr int kMaxRequests = 24;
  std::string body_;
  int requests_ = 0;
};

void drive_client(ServerType type, std::string_view input) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)quiet;
  const std::string body(input);
  auto client = echo_client(type, body);
  (void)client->identity();
  if (auto libraries = client->libraries(); libraries) {
    for (const auto& library : *libraries) (void)library.title.size();
  }
  Library movies{"1", "Movies", MediaType::movie, false};
  Library shows{"2", "Shows", MediaType::episode, false};
  (void)client->count_items(movies);
  (void)client->fetch_page(movies, 0, 8);
  // A fresh client: the first one's transport may have used up its answers.
  client = echo_client(type, body);
  (void)client->fetch_page(shows, 0, 8);
  client = echo_client(type, body);
  if (auto item = client->fetch_item("1"); item) (void)client->set_progress(*item, 61'000);
}

// The differential half of the page targets: the body read as a page of items and of series by
// the simdjson readers and by the nlohmann reference must read alike (page_differential.h); a
// body simdjson reads must be one nlohmann reads.
void pages_agree(PageFormat format, std::string_view input) {
  const auto compared = testing::compare_page(format, std::string(input));
  if (!compared.disagreement.empty()) {
    std::fprintf(stderr, "page readers disagree: %s\n", compared.disagreement.c_str());
    std::abort();
  }
}

}  // namespace

std::unique_ptr<BackendClient> echo_client(ServerType type, std::string body) {
  ServerConfig server;
  server.name = "fuzz";
  server.type = type;
  server.url = "http://127.0.0.1:9";
  server.token = "fuzz-token";
  server.user = "fuzz-user";
  BackendOptions options;
  options.retry.max_attempts = 1;
  options.retry.sleep = [](std::chrono::milliseconds) {};
  options.transport_factory = [body = std::move(body)](const TransportOptions&) {
    return std::make_unique<EchoTransport>(body);
  };
  return make_backend_client(server, options);
}

void message_codec(std::string_view input) {
  auto [type, body] = split_first_line(input);
  auto message = decode_message(type, body);
  if (!message) return;
  (void)debug_text(*message);
  if (message->items_msgpack.empty()) return;
  // A batch's items, read without a DOM: what reads survives writing and reading again exactly.
  ItemsReadReport report;
  auto items = read_items_msgpack(message->items_msgpack, report);
  if (!items) return;
  std::string again;
  append_items_msgpack(again, *items);
  ItemsReadReport report_again;
  auto reread = read_items_msgpack(again, report_again);
  if (!reread || !report_again.skipped.empty() || !(*reread == *items)) std::abort();
  // and the message re-encodes to a body that decodes to the same items
  auto encoded = encode_message(*message);
  auto decoded = decode_message(encoded.type_frame, encoded.body_frame);
  if (!decoded || decoded->items_msgpack != message->items_msgpack) std::abort();
}

void record_codec(std::string_view input) {
  if (input.size() > 4096) return;  // deep nesting is bounded by size
  const bool layout1 = !input.empty() && input[0] == '\x01';
  // Floats never occur in a record we write; reading one into an integer field is nlohmann's
  // conversion (undefined for huge values), not ours to fuzz.
  if (layout1 && input.find_first_of("\xca\xcb") != std::string_view::npos) return;
  std::optional<Record> read;
  try {
    read = decode_record(input);
  } catch (const std::runtime_error&) {
    // decode_record's promised error for bytes it cannot read
  }
  if (layout1) {  // the fast layout-1 reader (migration) against what the JSON form reads
    std::optional<Record> dom;
    try {
      dom = nlohmann::json::from_msgpack(input.substr(1)).get<Record>();
    } catch (const nlohmann::json::exception&) {
    }
    if (read.has_value() != dom.has_value() || (read && !(*read == *dom))) std::abort();
  }
  if (read) {
    // The import's fast path reads one server's metadata and completes the rest from the same
    // bytes: for each server (and one the record lacks) that equals the whole decode.
    std::vector<std::string> servers;
    for (const auto& [server, meta] : read->metadata) servers.push_back(server);
    servers.push_back("\x01not-a-server");
    for (const auto& server : servers) {
      size_t metadata_at = std::string_view::npos;
      Record partial = decode_record_for(input, server, metadata_at);
      if (!layout1 && (partial.metadata.size() > 1 || (partial.metadata.size() == 1 && !partial.metadata.count(server))))
        std::abort();
      complete_record(input, metadata_at, partial);
      if (!(partial == *read)) std::abort();
    }
  } else {  // bytes decode_record refuses, the partial decode refuses too
    size_t metadata_at = std::string_view::npos;
    try {
      (void)decode_record_for(input, "jf", metadata_at);
      std::abort();
    } catch (const std::runtime_error&) {
    }
  }
  if (read) {  // whatever was read survives layout 2 exactly (the id is the key, not stored)
    Record record = *read;
    record.id = 0;
    const std::string bytes = encode_record(record);
    if (!(decode_record(bytes) == record) || encode_record(decode_record(bytes)) != bytes) std::abort();
  }
}

void plex_webhook(std::string_view input) { use(parse_plex_webhook(webhook_request(input))); }
void jellyfin_webhook(std::string_view input) { use(parse_jellyfin_webhook(webhook_request(input))); }
void emby_webhook(std::string_view input) { use(parse_emby_webhook(webhook_request(input))); }

void plex_page(std::string_view input) {
  pages_agree(PageFormat::plex, input);
  drive_client(ServerType::plex, input);
}
void jellyfin_page(std::string_view input) {
  pages_agree(PageFormat::mediabrowser, input);
  drive_client(ServerType::jellyfin, input);
}
void emby_page(std::string_view input) {
  pages_agree(PageFormat::mediabrowser, input);
  drive_client(ServerType::emby, input);
}

void lenient_json(std::string_view input) {
  nlohmann::json doc = nlohmann::json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return;
  // Every value, breadth first, bounded: each is read as every type, and as a member by the
  // keys the parsers ask for.
  std::vector<const nlohmann::json*> pending{&doc};
  for (size_t i = 0; i < pending.size() && i < 4096; ++i) {
    const nlohmann::json& value = *pending[i];
    (void)lenient::as_string(value);
    (void)lenient::as_int(value);
    (void)lenient::as_bool(value);
    for (std::string_view key : {"Id", "ratingKey", "viewCount", "Played", "PlaybackPositionTicks"}) {
      (void)lenient::get_string(value, key);
      (void)lenient::get_int(value, key);
      (void)lenient::get_bool(value, key);
    }
    if (value.is_structured())
      for (const auto& child : value) pending.push_back(&child);
  }
}

void servers_yaml(std::string_view input) {
  auto servers = parse_servers(input, "servers.yaml");
  if (servers) (void)secrets_of(*servers);
}

void config_yaml(std::string_view input) { (void)parse_config(input, "config.yaml"); }

const std::vector<Target>& all_targets() {
  static const std::vector<Target> targets{
      {"message_codec", message_codec}, {"plex_webhook", plex_webhook},   {"jellyfin_webhook", jellyfin_webhook},
      {"emby_webhook", emby_webhook},   {"plex_page", plex_page},         {"jellyfin_page", jellyfin_page},
      {"emby_page", emby_page},         {"lenient_json", lenient_json},   {"servers_yaml", servers_yaml},
      {"config_yaml", config_yaml},     {"record_codec", record_codec},
  };
  return targets;
}

const Target* find_target(std::string_view name) {
  for (const auto& target : all_targets())
    if (target.name == name) return &target;
  return nullptr;
}

}  // namespace ws::fuzz
