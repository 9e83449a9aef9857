// Webhooks into the state and out to the other servers (issue 9), end to end with the real
// binaries: ws-reconciler, a ws-fetcher, a ws-exporter and ws-ingest, and a Plex, a Jellyfin and an
// Emby fake that post their real webhooks to ingest (Jellyfin and Emby also echo our own writes,
// as the real servers do). No import runs between a webhook and the check on the other servers.
#include <ctime>
#include <regex>

#include <catch2/catch.hpp>
#include <httplib.h>

#include "e2e_cli.h"
#include "e2e_fakes.h"
#include "e2e_harness.h"
#include "e2e_stack.h"

namespace {

using namespace ws::e2e;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kKey = "e2e-webhook-key";

// The stack, ingest and the three fakes, imported and exported once so every server agrees.
struct WebhookWorld {
  int ingest_port = ws::fake::free_port();
  std::string base = "http://127.0.0.1:" + std::to_string(ingest_port) + "/hooks/?apikey=" + kKey + "&type=";
  FakeSet fakes = FakeSet::start(three_servers({{"plex", {"--webhook-url", base + "plex"}},
                                                {"jellyfin", {"--webhook-url", base + "jellyfin", "--echo-webhooks"}},
                                                {"emby", {"--webhook-url", base + "emby", "--echo-webhooks"}}}),
                                 small_catalog());
  DataFolder folder{"webhooks"};
  std::optional<Stack> stack;
  std::optional<Process> ingest;
  std::string removed_movie;  // a Jellyfin movie removed before the first import (added back later)

  WebhookWorld() {
    folder.write_servers(fakes.servers());
    folder.write_config(std::string("webhook:\n  apikey: '") + kKey + "'\n  listen: '127.0.0.1:" +
                        std::to_string(ingest_port) + "'\n");
    // A movie nobody has played, so its play on Jellyfin after the fetch is news everywhere.
    const auto snapshot = fakes.snapshot();
    for (const auto& g : match_across(snapshot)) {
      bool unplayed = g.ids.size() == 3;
      for (const auto& [server, id] : g.ids)
        unplayed = unplayed && snapshot.at(server).at(id).type == "movie" && !snapshot.at(server).at(id).watched;
      if (unplayed) removed_movie = g.ids.at("jellyfin");
    }
    REQUIRE_FALSE(removed_movie.empty());
    fakes["jellyfin"].post_json("/__fake/act", {{"item", removed_movie}, {"action", "remove"}});
    stack.emplace(folder, 1, 1);
    ingest.emplace(folder.spawn(WS_INGEST_BINARY, {"-vv"}, "ingest"));
    REQUIRE(wait_until([&] { return tcp_listening(ingest_port); }, 15s));
    watchstate_ok(folder, {"state:import"});
    watchstate_ok(folder, {"state:export"});
    // The export's writes come back as echoes: wait until every one was sent and applied.
    REQUIRE(wait_until([&] { return echoes_done() && settled(); }, 60s, 200ms));
  }
  // Echo webhooks a fake sent so far, and whether it has none left to send.
  int64_t echoes_sent(const std::string& server) {
    return fakes[server].get_json("/__fake/stats")["echoes"].value("sent", int64_t{0});
  }
  bool echoes_done() {
    for (const char* server : {"jellyfin", "emby"}) {
      const auto e = fakes[server].get_json("/__fake/stats")["echoes"];
      if (e.value("queued", 0) != e.value("sent", 0) + e.value("failed", 0)) return false;
    }
    return true;
  }
  ~WebhookWorld() {
    if (ingest) ingest->stop();
  }

  std::string logs() const { return stack->logs() + "\n--- ingest\n" + ingest->tail(); }

  json item(const std::string& server, const std::string& id) {
    auto list = fakes[server].get_json("/__fake/items?id=" + id);
    REQUIRE(list.size() == 1);
    return list[0];
  }
  json webhook(const std::string& server, json request) {
    auto answer = fakes[server].post_json("/__fake/webhook", request);
    INFO(server << " webhook " << request.dump() << " answered " << answer.dump());
    REQUIRE(answer.at("status") == 202);
    return answer;
  }
  void act(const std::string& server, const std::string& id, const std::string& action, int64_t progress_ms = 0) {
    json body = {{"item", id}, {"action", action}, {"at", static_cast<int64_t>(std::time(nullptr))}};
    if (progress_ms > 0) body["progress_ms"] = progress_ms;
    fakes[server].post_json("/__fake/act", body);
  }
  // Ingest's spool is empty and every event it took has been acked: the reconciler committed
  // them, and the pushes they queued are submitted (they go out in the same pass as the acks).
  bool settled() {
    auto r = folder.watchstate({"status", "--output", "json"}, 20s);
    if (r.exit_code != 0) return false;
    const json s = r.json().at("status");
    const bool idle = s.at("outbox") == 0 && s.at("jobs_queued") == 0 && s.at("jobs_in_flight") == 0;
    return idle && spool_depth() == 0;
  }
  int64_t spool_depth() {
    auto metrics = http_get("/metrics");
    std::smatch m;
    static const std::regex depth("ws_ingest_spool_depth (\\d+)");
    return std::regex_search(metrics, m, depth) ? std::stoll(m[1].str()) : -1;
  }
  int64_t acked() {
    auto metrics = http_get("/metrics");
    std::smatch m;
    static const std::regex acked_total("ws_ingest_events_acked_total (\\d+)");
    return std::regex_search(metrics, m, acked_total) ? std::stoll(m[1].str()) : -1;
  }
  std::string http_get(const std::string& path);
};

std::string WebhookWorld::http_get(const std::string& path) {
  httplib::Client client("127.0.0.1", ingest_port);
  client.set_read_timeout(5, 0);
  auto r = client.Get(path.c_str());
  return r ? r->body : std::string();
}

// One movie (or episode) on all three servers, unplayed on each.
ItemGroup unplayed_everywhere(WebhookWorld& w, const std::string& type) {
  const auto snapshot = w.fakes.snapshot();
  for (const auto& g : match_across(snapshot)) {
    if (g.ids.size() != 3) continue;
    bool ok = true;
    for (const auto& [server, id] : g.ids) {
      const auto& item = snapshot.at(server).at(id);
      ok = ok && item.type == type && !item.watched && item.episode_end == 0;
    }
    if (ok) return g;
  }
  FAIL("no " << type << " unplayed on all three servers");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("webhooks reach the other servers without an import, and never flip a flag they may not",
          "[e2e][webhook]") {
  WebhookWorld w;
  REQUIRE_LOGGED(*w.stack, disagreements(match_across(w.fakes.snapshot()), w.fakes.snapshot()).empty());

  // 1. Plex plays an episode to its end: Jellyfin and Emby show it played. Both echo our write
  //    back; the echoes change nothing and push nothing.
  const ItemGroup episode = unplayed_everywhere(w, "episode");
  INFO("episode " << describe(episode, w.fakes.snapshot()));
  const auto writes_before = w.fakes.write_counts();
  const int64_t acked_before = w.acked();
  const int64_t jf_echoes = w.echoes_sent("jellyfin");
  const int64_t emby_echoes = w.echoes_sent("emby");
  w.act("plex", episode.ids.at("plex"), "play");
  w.webhook("plex", {{"event", "media.scrobble"}, {"item", episode.ids.at("plex")}});
  REQUIRE_LOGGED(*w.stack, wait_until([&] {
                   return w.item("jellyfin", episode.ids.at("jellyfin"))["watched"] == true &&
                          w.item("emby", episode.ids.at("emby"))["watched"] == true;
                 }, 20s));
  REQUIRE_LOGGED(*w.stack, wait_until([&] {
                   return w.echoes_sent("jellyfin") == jf_echoes + 1 && w.echoes_sent("emby") == emby_echoes + 1;
                 }, 20s));
  REQUIRE_LOGGED(*w.stack, wait_until([&] { return w.acked() == acked_before + 3 && w.settled(); }, 30s));
  const auto writes_after_play = w.fakes.write_counts();
  CHECK(writes_after_play.at("plex") == writes_before.at("plex"));  // the sender is not written to
  CHECK(writes_after_play.at("jellyfin") == writes_before.at("jellyfin") + 1);
  CHECK(writes_after_play.at("emby") == writes_before.at("emby") + 1);

  // 2. Jellyfin unplays it (TogglePlayed, Played false): Plex and Emby show it unplayed.
  w.act("jellyfin", episode.ids.at("jellyfin"), "unplay");
  w.webhook("jellyfin", {{"event", "UserDataSaved"}, {"item", episode.ids.at("jellyfin")}});
  REQUIRE_LOGGED(*w.stack, wait_until([&] {
                   return w.item("plex", episode.ids.at("plex"))["watched"] == false &&
                          w.item("emby", episode.ids.at("emby"))["watched"] == false;
                 }, 20s));
  REQUIRE_LOGGED(*w.stack, wait_until([&] { return w.echoes_sent("emby") == emby_echoes + 2; }, 20s));
  REQUIRE_LOGGED(*w.stack, wait_until([&] { return w.acked() == acked_before + 5 && w.settled(); }, 30s));  // + Emby's echo
  CHECK(w.fakes.write_counts() == (std::map<std::string, size_t>{{"plex", writes_after_play.at("plex") + 1},
                                                                {"jellyfin", writes_after_play.at("jellyfin")},
                                                                {"emby", writes_after_play.at("emby") + 1}}));

  // 3. Emby stops a movie at 10 minutes (well under 90 %): the others get the resume position.
  //    Play, pause and progress events never change a watched flag.
  const ItemGroup movie = unplayed_everywhere(w, "movie");
  INFO("movie " << describe(movie, w.fakes.snapshot()));
  w.act("emby", movie.ids.at("emby"), "progress", 600'000);
  w.webhook("emby", {{"event", "playback.stop"}, {"item", movie.ids.at("emby")}});
  REQUIRE_LOGGED(*w.stack, wait_until([&] {
                   return w.item("plex", movie.ids.at("plex"))["progress_ms"] == 600'000 &&
                          w.item("jellyfin", movie.ids.at("jellyfin"))["progress_ms"] == 600'000;
                 }, 20s));
  const ItemGroup other = [&] {
    const auto snapshot = w.fakes.snapshot();
    for (const auto& g : match_across(snapshot))
      if (g.ids.size() == 3 && g.label != movie.label && !snapshot.at("plex").at(g.ids.at("plex")).watched &&
          !snapshot.at("jellyfin").at(g.ids.at("jellyfin")).watched && !snapshot.at("emby").at(g.ids.at("emby")).watched &&
          snapshot.at("plex").at(g.ids.at("plex")).type == "movie")
        return g;
    FAIL("no second unplayed movie");
    throw std::logic_error("unreachable");
  }();
  const ItemGroup played = [&] {
    const auto snapshot = w.fakes.snapshot();
    for (const auto& g : match_across(snapshot)) {
      bool all = g.ids.size() == 3;
      for (const auto& [server, id] : g.ids) all = all && snapshot.at(server).at(id).watched;
      if (all) return g;
    }
    FAIL("no item played on all three servers");
    throw std::logic_error("unreachable");
  }();
  REQUIRE_LOGGED(*w.stack, wait_until([&] { return w.echoes_done() && w.settled(); }, 30s));
  w.webhook("plex", {{"event", "media.play"}, {"item", other.ids.at("plex")}});
  w.webhook("jellyfin", {{"event", "PlaybackStart"}, {"item", other.ids.at("jellyfin")}});
  w.webhook("emby", {{"event", "playback.pause"}, {"item", other.ids.at("emby")}});
  // A progress save for an item played everywhere is progress, never an unmark.
  w.act("jellyfin", played.ids.at("jellyfin"), "progress", 60'000);
  w.webhook("jellyfin", {{"event", "UserDataSaved"}, {"item", played.ids.at("jellyfin")}, {"save_reason", "PlaybackProgress"}});
  REQUIRE_LOGGED(*w.stack, wait_until([&] { return w.echoes_done() && w.settled(); }, 30s));
  for (const auto& [server, id] : other.ids) CHECK(w.item(server, id)["watched"] == false);
  for (const auto& [server, id] : played.ids) CHECK(w.item(server, id)["watched"] == true);

  // 4. A movie added on Jellyfin after the last import, played there: applied after a one-item
  //    fetch, and pushed to the others.
  w.act("jellyfin", w.removed_movie, "add");
  w.act("jellyfin", w.removed_movie, "play");
  w.webhook("jellyfin", {{"event", "UserDataSaved"}, {"item", w.removed_movie}});
  ItemGroup group;
  REQUIRE_LOGGED(*w.stack, wait_until([&] {
                   for (const auto& g : match_across(w.fakes.snapshot()))
                     if (g.ids.count("jellyfin") && g.ids.at("jellyfin") == w.removed_movie) group = g;
                   return group.ids.size() == 3 && w.item("plex", group.ids.at("plex"))["watched"] == true &&
                          w.item("emby", group.ids.at("emby"))["watched"] == true;
                 }, 20s));
  CHECK_THAT(w.stack->fetcher(0).err() + w.stack->fetcher(0).out(), Catch::Contains("webhook/fetch-"));
  REQUIRE_LOGGED(*w.stack, wait_until([&] { return w.settled(); }, 30s));
  // 5. webhook:test: a Plex completed play of an unplayed movie, through ingest, dry run: the
  //    decision is printed and nothing changes anywhere.
  const ItemGroup untouched = unplayed_everywhere(w, "movie");
  const auto writes_before_test = w.fakes.write_counts();
  const json test = watchstate_ok(w.folder, {"webhook:test", "plex", "--item", untouched.ids.at("plex")});
  INFO("webhook:test: " << test.dump());
  CHECK(test.at("server") == "plex");
  CHECK(test.at("decision").at("action") == "state");
  CHECK(test.at("decision").at("watched") == true);
  CHECK(test.at("decision").at("push").size() == 2);
  REQUIRE_LOGGED(*w.stack, wait_until([&] { return w.settled(); }, 30s));
  CHECK(w.fakes.write_counts() == writes_before_test);
  for (const auto& [server, id] : untouched.ids) CHECK(w.item(server, id)["watched"] == false);

  const auto ended = w.fakes.snapshot();
  INFO(w.logs());
  CHECK(disagreements(match_across(ended), ended).empty());
  CHECK(w.stack->stop().empty());
}
