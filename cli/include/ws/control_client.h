// The CLI's side of the control protocol (docs/protocol.md "Control"): a DEALER that sends one
// ctl.request and follows its ctl.progress messages to the ctl.reply. One thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "ws/control_request.h"
#include "ws/curve_keys.h"
#include "ws/config.h"
#include "ws/protocol.h"
#include "ws/result.h"

namespace ws {

class ControlClient {
 public:
  // `max_message`: config.yaml endpoints.max_message (ZMQ_MAXMSGSIZE of the socket). `curve`:
  // the cli role's keys when the endpoint runs CURVE (control_curve_keys).
  ControlClient(zmq::context_t& context, std::string endpoint,
                size_t max_message = protocol::kDefaultMaxMessage,
                const std::optional<CurveClientKeys>& curve = std::nullopt);

  // Whether a reconciler answers on the endpoint within `timeout`. A tcp endpoint nobody listens
  // on is known at once (connection refused), without waiting.
  bool answers(std::chrono::milliseconds timeout);

  // Sends the request and calls `on_progress` with each ctl.progress body until the ctl.reply,
  // whose body it returns. A reconciler silent for `silence` (it sends progress every second
  // while it works) gives an error naming the endpoint. Fields are checked before use: a progress
  // with mistyped fields is skipped; a reply without a boolean `ok` (or with a mistyped `error`
  // or `summary`) is an error; a refusal (`ack ok:false`) is an error with its reason.
  Result<nlohmann::json> run(const ControlRequest& request,
                             const std::function<void(const nlohmann::json&)>& on_progress,
                             std::chrono::milliseconds silence = std::chrono::seconds(15));

  const std::string& endpoint() const { return endpoint_; }

 private:
  zmq::context_t& context_;
  std::string endpoint_;
  zmq::socket_t socket_;
};

// The CLI's CURVE keys for `endpoint` from the data folder: nullopt on loopback, ipc and inproc;
// an error naming the missing key file otherwise (ws/curve_keys.h).
Result<std::optional<CurveClientKeys>> control_curve_keys(const DataPaths& paths, const std::string& endpoint);

// True when a plain TCP connect to a tcp:// endpoint's host and port is refused (nothing
// listens); false for other transports or when it connects.
bool tcp_endpoint_refused(const std::string& endpoint);

}  // namespace ws
