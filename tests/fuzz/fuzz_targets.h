// The fuzz targets: one function per parser of outside input (DESIGN §10). Each takes the raw
// bytes a peer could send and drives the parser the way the product does. A target never
// catches: the parsers promise to return an Error on bad input, so an exception, a crash, a
// sanitizer report or a hang is a finding.
//
// The same functions run in two places: under libFuzzer (fuzz_main.cpp, built with WS_FUZZ=ON,
// `make fuzz`) and in the ordinary test suite, which replays the seed corpora and every stored
// regression input (corpus_replay_test.cpp). Input shapes are in README.md beside this file.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ws/backend_client.h"

namespace ws::fuzz {

using TargetFn = void (*)(std::string_view input);

struct Target {
  std::string_view name;  // also the folder under corpus/ and regressions/
  TargetFn run;
};

// Every target, in a fixed order.
const std::vector<Target>& all_targets();
// The target called `name`, or nullptr.
const Target* find_target(std::string_view name);

// The message codec: "<type frame>\n<MessagePack body frame>" -> decode_message, debug_text.
void message_codec(std::string_view input);
// A stored record (layout byte first) -> decode_record; layout 1 compared with the JSON form's
// reading; whatever it read encoded (layout 2) and decoded again unchanged.
void record_codec(std::string_view input);
// Webhooks: "<Content-Type>\n<body>" -> parse_{plex,jellyfin,emby}_webhook.
void plex_webhook(std::string_view input);
void jellyfin_webhook(std::string_view input);
void emby_webhook(std::string_view input);
// Server pages: every HTTP answer of a client is 200 with `input` as its body; the client then
// lists libraries, counts, fetches a page of episodes and one item (the page parsers and the
// lenient JSON reader, through the real client code).
void plex_page(std::string_view input);
void jellyfin_page(std::string_view input);
void emby_page(std::string_view input);
// The lenient JSON reader on every value of a JSON document.
void lenient_json(std::string_view input);
// servers.yaml and config.yaml text -> parse_servers / parse_config.
void servers_yaml(std::string_view input);
void config_yaml(std::string_view input);

// The client the *_page targets drive: every request is answered 200 with `body`, up to a bound
// (then a broken connection). For regression tests that check the error a stored input gives.
std::unique_ptr<BackendClient> echo_client(ServerType type, std::string body);

}  // namespace ws::fuzz
