#include "ws/export_job.h"

#include <atomic>
#include <map>
#include <string>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>

namespace ws {
namespace {

std::vector<std::string> item_ids(const std::vector<ExportAction>& actions) {
  std::vector<std::string> ids;
  for (const auto& a : actions) ids.push_back(a.item.item_id);
  return ids;
}

std::map<std::string, MediaItem> by_id(std::vector<MediaItem> items) {
  std::map<std::string, MediaItem> out;
  for (auto& item : items) {
    std::string id = item.item_id;
    out.emplace(std::move(id), std::move(item));
  }
  return out;
}

Error internal_error(const char* what) { return make_error(ErrorKind::invalid_input, std::string("internal error: ") + what); }

// One batched read; what a bug below throws becomes this read's error, so the job's actions fail
// with it and the exporter keeps serving.
Result<std::vector<MediaItem>> read_items(BackendClient& client, const std::vector<std::string>& ids) {
  try {
    return client.fetch_items(ids);
  } catch (const std::exception& e) {
    return internal_error(e.what());
  } catch (...) {
    return internal_error("an unknown exception");
  }
}

}  // namespace

std::vector<ActionResult> run_export_actions(const std::vector<BackendClient*>& clients,
                                             const std::vector<ExportAction>& actions, int64_t progress_tolerance_ms,
                                             const std::function<bool()>& cancelled) {
  std::vector<ActionResult> results(actions.size());
  if (actions.empty()) return results;

  auto before = read_items(*clients.front(), item_ids(actions));
  if (!before) {
    for (auto& r : results) r.error = before.error();
    return results;
  }
  const std::map<std::string, MediaItem> read_before = by_id(std::move(before.value()));

  // Actions of one item stay in job order on one thread (an unplay then a progress must not
  // race); items are spread over the clients, each on its own thread: at most clients.size()
  // requests to the server at once.
  struct Group {
    std::vector<size_t> actions;
    std::optional<MediaItem> current;  // as read before, then as written
    bool wrote = false;
  };
  std::vector<Group> groups;
  {
    std::map<std::string, size_t> group_of;
    for (size_t i = 0; i < actions.size(); ++i) {
      const std::string& id = actions[i].item.item_id;
      auto [it, added] = group_of.emplace(id, groups.size());
      if (added) {
        groups.emplace_back();
        if (auto found = read_before.find(id); found != read_before.end()) groups.back().current = found->second;
      }
      groups[it->second].actions.push_back(i);
    }
  }
  std::atomic<size_t> next{0};
  auto work = [&](BackendClient& client) {
    for (size_t g = next.fetch_add(1); g < groups.size() && !cancelled(); g = next.fetch_add(1)) {
      Group& group = groups[g];
      for (size_t i : group.actions) {
        if (!group.current) {  // not in the server's answer: it no longer has the item
          results[i].outcome = ActionOutcome{ActionOutcome::Kind::gone, {}};
          continue;
        }
        // What a bug below throws fails this action only: out of a helper thread it would end
        // the process.
        try {
          auto outcome = apply_export_action(client, actions[i], *group.current, progress_tolerance_ms);
          if (!outcome) {
            results[i].error = outcome.error();
            continue;
          }
          results[i].outcome = *outcome;
          group.wrote = group.wrote || outcome->written();
          if (outcome->kind == ActionOutcome::Kind::gone) group.current.reset();
        } catch (const std::exception& e) {
          results[i].error = internal_error(e.what());
        } catch (...) {
          results[i].error = internal_error("an unknown exception");
        }
      }
    }
  };
  const size_t used = std::min(clients.size(), groups.size());
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < used; ++t) {
    try {
      helpers.emplace_back(work, std::ref(*clients[t]));
    } catch (const std::system_error& e) {  // no more threads to be had: fewer share the work
      spdlog::warn("export job: {} of {} threads: {}", t, used, e.what());
      break;
    }
  }
  work(*clients.front());
  for (auto& helper : helpers) helper.join();

  // Read back what was written: the server's word on it, never what was sent.
  std::vector<std::string> written;
  for (const auto& group : groups)
    if (group.wrote) written.push_back(actions[group.actions.front()].item.item_id);
  std::optional<std::map<std::string, MediaItem>> read_after;
  if (!written.empty() && !cancelled()) {
    if (auto after = read_items(*clients.front(), written)) {
      read_after = by_id(std::move(after.value()));
    } else {
      spdlog::warn("export job: reading back {} written items failed: {}", written.size(), after.error().message);
    }
  }
  for (const auto& group : groups) {
    std::optional<MediaItem> state;
    const std::string& id = actions[group.actions.front()].item.item_id;
    if (group.wrote) {
      if (read_after)
        if (auto it = read_after->find(id); it != read_after->end()) state = it->second;
    } else if (group.current) {
      state = read_before.at(id);
    }
    for (size_t i : group.actions)
      if (results[i].outcome && results[i].outcome->kind != ActionOutcome::Kind::gone) results[i].state = state;
  }
  return results;
}

}  // namespace ws
