// The /__fake/* control interface (a contract, see README.md): look at the fake's items and the
// writes it received, act as a person on the server, send its webhook, read stats, and inject
// faults at run time. No token, no latency, no injected faults here.
#include <nlohmann/json.hpp>

#include "fake_server.h"
#include "fake_time.h"
#include "json_writer.h"
#include "plex_render.h"
#include "webhook_echo.h"
#include "webhook_sender.h"

namespace ws::fake {
namespace {

using nlohmann::json;

void ids_json(JsonWriter& w, std::string_view key, const ExternalIds& ids) {
  w.key(key).begin_object();
  if (ids.imdb) w.kv("imdb", imdb_string(ids.imdb));
  if (ids.tmdb) w.kv("tmdb", std::to_string(ids.tmdb));
  if (ids.tvdb) w.kv("tvdb", std::to_string(ids.tvdb));
  if (ids.tvmaze) w.kv("tvmaze", std::to_string(ids.tvmaze));
  if (ids.anidb) w.kv("anidb", std::to_string(ids.anidb));
  w.end_object();
}

// REQUIRES: the state's read lock held.
void item_json(JsonWriter& w, FakeServer& srv, const Entry& e) {
  const Catalog& c = srv.catalog();
  const ItemState& s = srv.state().peek(e.index);
  const Entry* show = e.show >= 0 ? &c.at(uint32_t(e.show)) : nullptr;
  w.begin_object();
  w.kv("id", e.id);
  w.kv("type", e.kind == EntryKind::movie ? "movie" : "episode");
  w.kv("title", show ? show->title : e.title);  // as in the state: series title for episodes
  w.kv("year", int64_t(e.year));
  if (show) {
    w.kv("season", int64_t(e.season));
    w.kv("episode", int64_t(e.episode));
    if (e.episode_end) w.kv("episode_end", int64_t(e.episode_end));
    w.kv("episode_title", e.title);
    w.kv("series_id", show->id);
  } else {
    w.kv_null("season");
    w.kv_null("episode");
  }
  ids_json(w, "guids", e.ids);
  ids_json(w, "series_guids", show ? show->ids : ExternalIds{});
  w.kv("watched", s.watched);
  if (s.last_played) {
    w.kv("played_at", unix_from_ticks(s.last_played));
  } else {
    w.kv_null("played_at");
  }
  w.kv("added_at", s.added_at);
  w.kv("progress_ms", s.position_ms);
  w.kv("play_count", int64_t(s.play_count));
  w.kv("library", c.library_id(e.library));
  w.kv("path", e.path);
  if (s.ignore_writes) w.kv("ignore_writes", true);
  w.end_object();
}

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void bad(httplib::Response& res, int status, const std::string& message) { reply(res, status, {{"error", message}}); }

std::optional<json> body_object(const httplib::Request& req, httplib::Response& res) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    bad(res, 400, "the body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

std::string string_field(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

void add_control_routes(FakeServer& srv) {
  Router& r = srv.control_routes();
  using Req = httplib::Request;
  using Res = httplib::Response;

  r.add("GET", "/__fake/items", [&srv](const Req& req, Res& res, const Params&) {
    const std::string type = req.get_param_value("type");
    const std::string id = req.get_param_value("id");
    std::string out;
    out.reserve((srv.catalog().movies().size() + srv.catalog().episodes().size()) * 400);
    JsonWriter w(out);
    w.begin_array();
    auto lock = srv.state().read_lock();
    for (const auto* list : {&srv.catalog().movies(), &srv.catalog().episodes()}) {
      for (uint32_t index : *list) {
        const Entry& e = srv.catalog().at(index);
        if (!type.empty() && type != (e.kind == EntryKind::movie ? "movie" : "episode")) continue;
        if (!id.empty() && id != e.id) continue;
        if (!srv.state().present(index)) continue;
        item_json(w, srv, e);
      }
    }
    lock.unlock();
    w.end_array();
    res.set_content(std::move(out), "application/json");
  });

  r.add("GET", "/__fake/writes", [&srv](const Req&, Res& res, const Params&) {
    res.set_content(srv.log().writes_json(), "application/json");
  });
  r.add("DELETE", "/__fake/writes", [&srv](const Req&, Res& res, const Params&) {
    srv.log().clear_writes();
    res.status = 204;
  });

  r.add("GET", "/__fake/stats", [&srv](const Req&, Res& res, const Params&) {
    std::string stats = srv.log().stats_json();
    if (srv.echo()) stats.insert(stats.size() - 1, ",\"echoes\":" + srv.echo()->stats_json());
    res.set_content(std::move(stats), "application/json");
  });

  r.add("GET", "/__fake/info", [&srv](const Req&, Res& res, const Params&) {
    const auto& o = srv.options();
    const Catalog& c = srv.catalog();
    size_t movies = 0, shows = 0, episodes = 0;
    {
      auto lock = srv.state().read_lock();
      movies = srv.state().present_of(c.movies()).size();
      shows = srv.state().present_of(c.shows()).size();
      episodes = srv.state().present_of(c.episodes()).size();
    }
    json info = {{"type", to_string(o.type)}, {"server_id", o.server_id}, {"user_id", o.user_id},
                 {"name", o.name}, {"port", srv.port()},
                 {"libraries", {{"movies", c.library_id(1)}, {"shows", c.library_id(2)}}},
                 {"movies", movies}, {"shows", shows}, {"episodes", episodes},
                 {"split_multi_episode", c.shape() == MultiEpisodeShape::split_files},
                 {"webhook_url", o.webhook_url}, {"echo_webhooks", srv.echo() != nullptr}};
    if (o.type == ServerType::plex) {
      info["accounts"] = {{{"id", o.user_id}, {"title", "fakeuser"}, {"owner", true}},
                          {{"id", kPlexGuestAccountId}, {"title", kPlexGuestAccountName}, {"owner", false}}};
    }
    reply(res, 200, info);
  });

  r.add("POST", "/__fake/act", [&srv](const Req& req, Res& res, const Params&) {
    auto body = body_object(req, res);
    if (!body) return;
    const std::string id = string_field(*body, "item");
    const std::string action = string_field(*body, "action");
    const Entry* e = srv.catalog().find(id);
    if (!e || (e->kind != EntryKind::movie && e->kind != EntryKind::episode)) {
      return bad(res, 404, "no movie or episode with id '" + id + "'");
    }
    const bool removed = srv.state().get(e->index).removed;
    if (removed && action != "add" && action != "remove") {
      return bad(res, 404, "item '" + id + "' was removed (\"add\" brings it back)");
    }
    const auto at_it = body->find("at");
    if (at_it != body->end() && !at_it->is_null() && !at_it->is_number()) {
      return bad(res, 400, "\"at\" must be unix seconds");
    }
    const bool has_at = at_it != body->end() && at_it->is_number();
    const int64_t at_ticks = has_at ? ticks_from_unix(at_it->get<int64_t>()) : now_ticks();
    if (action == "play") {
      srv.state().act(e->index, Act::play, played_at(at_ticks));
    } else if (action == "unplay") {
      srv.state().act(e->index, Act::unplay, unplayed());
    } else if (action == "progress") {
      const auto p = body->find("progress_ms");
      if (p == body->end() || !p->is_number_integer() || p->get<int64_t>() < 0) {
        return bad(res, 400, "\"progress_ms\" (a non-negative integer) is required for progress");
      }
      srv.state().act(e->index, Act::progress, progress_at(p->get<int64_t>(), at_ticks));
    } else if (action == "add") {
      srv.state().act(e->index, Act::add, added(unix_from_ticks(at_ticks)));
    } else if (action == "remove") {
      srv.state().set_removed(e->index, true);
      return reply(res, 200, {{"id", e->id}, {"removed", true}});
    } else if (action == "ignore_writes" || action == "accept_writes") {
      srv.state().set_ignore_writes(e->index, action == "ignore_writes");
    } else {
      return bad(res, 400, "\"action\" must be play, unplay, progress, add, remove, ignore_writes or accept_writes");
    }
    std::string out;
    JsonWriter w(out);
    auto lock = srv.state().read_lock();
    item_json(w, srv, *e);
    lock.unlock();
    res.set_content(std::move(out), "application/json");
  });

  r.add("POST", "/__fake/webhook", [&srv](const Req& req, Res& res, const Params&) {
    auto body = body_object(req, res);
    if (!body) return;
    WebhookRequest rq;
    rq.url = string_field(*body, "url");
    rq.event = string_field(*body, "event");
    rq.item = string_field(*body, "item");
    rq.framing = string_field(*body, "framing");
    rq.save_reason = string_field(*body, "save_reason");
    if (auto it = body->find("played_to_completion"); it != body->end() && it->is_boolean()) {
      rq.played_to_completion = it->get<bool>();
    }
    if (auto it = body->find("position_ms"); it != body->end() && it->is_number_integer()) {
      rq.position_ms = it->get<int64_t>();
    }
    for (auto [key, field] : {std::pair{"account_id", &rq.account_id}, std::pair{"account_title", &rq.account_title}}) {
      if (auto it = body->find(key); it != body->end() && !it->is_null()) *field = string_field(*body, key);
    }
    if (rq.url.empty()) rq.url = srv.options().webhook_url;
    if (rq.url.empty()) return bad(res, 400, "\"url\" is required (the fake has no --webhook-url)");
    auto payload = build_webhook(srv, rq);
    if (!payload) return bad(res, payload.error().kind == ErrorKind::not_found ? 404 : 400, payload.error().message);
    auto sent = post_webhook(rq.url, *payload);
    if (!sent) return bad(res, 502, sent.error().message);
    reply(res, 200, {{"status", sent->status}, {"body", sent->body}, {"content_type", payload->content_type}});
  });

  r.add("POST", "/__fake/fail", [&srv](const Req& req, Res& res, const Params&) {
    auto body = body_object(req, res);
    if (!body) return;
    auto spec = parse_fault_spec(string_field(*body, "fail"));
    if (!spec) return bad(res, 400, spec.error().message);
    const auto n = body->find("requests");
    if (n == body->end() || !n->is_number_integer() || n->get<int64_t>() < 0) {
      return bad(res, 400, "\"requests\" (how many next requests get these faults) is required");
    }
    srv.faults().override_next(std::move(spec.value()), int(n->get<int64_t>()));
    reply(res, 200, {{"ok", true}});
  });
}

}  // namespace ws::fake
