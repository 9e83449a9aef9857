// One webhook request -> what ingest answers (DESIGN §8). A pure function of the request and the
// configured senders: no socket, no clock, no I/O, no logging — the HTTP layer (ingest.h) and a
// fuzz target call the same code. Never throws; any input gives a decision.
//
// Order of the checks, each answered before the next is looked at:
//   401  no key, or a key that is none of ours (nothing else is said to an unknown caller)
//   400  `type` missing or not plex|jellyfin|emby
//   413  Content-Length over max_body, or a body that streamed past it
//   400  a body the type's parser cannot read (webhook_parser.h)
//   200  valid but not taken (X-Status names the reason: webhook_senders.h IgnoreReason)
//   202  taken: the caller spools `accepted` and answers 202 once it is on disk
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "ws/webhook_event.h"
#include "ws/webhook_senders.h"

namespace ws {

struct IntakeRequest {
  std::string method = "POST";
  std::string path = "/";
  std::map<std::string, std::string> query;    // names lowercased; the first value of each
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;                            // as read so far
  std::optional<uint64_t> content_length;      // the header, when given and a number
  bool body_too_long = false;                  // the body streamed past max_body (reading stopped)
  int64_t received_at = 0;                     // unix seconds (the parsers' stand-in event date)
};

// An event to spool: what event.webhook carries to the reconciler (docs/protocol.md "Events").
struct AcceptedEvent {
  std::string server;    // the configured server's name (servers.yaml)
  int64_t received_at = 0;
  WebhookEvent event;    // event.item.server is `server`
};

struct IntakeDecision {
  int status = 0;              // 202, 200, 400, 401, 413; 0 = go on (check_head only)
  std::string x_status;        // "<code>: <sentence>", printable ASCII, one line, no secret
  std::optional<ServerType> type;  // when `type` was readable (for metrics)
  std::optional<AcceptedEvent> accepted;  // status 202 only
  std::optional<IgnoreReason> ignored;    // status 200 only
  std::string log_hint;        // a line for the log (run servers:test), may be empty
};

// The checks that need no body (key, type, Content-Length): status 0 when the body should be read.
IntakeDecision check_head(const IntakeRequest& request, const WebhookSenders& senders, size_t max_body);

// Every check, on the whole request.
IntakeDecision decide(const IntakeRequest& request, const WebhookSenders& senders, size_t max_body);

// `text` as one header-safe line: control and non-ASCII bytes become '?', cut to `max` bytes.
std::string header_safe(std::string_view text, size_t max = 300);

}  // namespace ws
