// Rule 5: the resume position. One position per record, the newest report's; small moves of one
// server's position are noise; a short position a server reports with the item played is the
// tail of that play, not a rewatch.
//
// Like the state (mapper.cpp), the position is a join, so an import's end state does not depend
// on the order of its batches: the newest position that is news wins (by date, then the further
// position, then the server whose name sorts first), and a position reported before the state's
// newest event (the play that counts, or the unmark) is history. Whether a report is news
// depends only on the report and on what the same server said before, never on what other
// servers said in between.
#include <cstdlib>
#include <utility>

#include "mapper_internal.h"

namespace ws::mapper_detail {
namespace {

bool newer(const Progress& a, const Progress& b) {
  if (a.at != b.at) return a.at > b.at;
  if (a.ms != b.ms) return a.ms > b.ms;
  return b.via.empty() || a.via < b.via;
}

// 0 is "no position", never a reset; a completed play's position is where it ended, not where
// to resume; a short position the server shows with the item played is the tail of that play,
// not a rewatch; and a server's position that moved by a few seconds at most since it last
// reported it is noise (the same position again is no news at a later date).
bool is_news(const ServerMeta* before, const MediaItem& in, const MapContext& ctx, const Report& report) {
  const MapperOptions& opt = ctx.options;
  const int64_t ms = in.progress_ms;
  return ms > 0 && ctx.kind != EventKind::completed_play && !(report.played && ms <= opt.rewatch_threshold_ms) &&
         !(before != nullptr && before->progress_ms > 0 &&
           std::llabs(ms - before->progress_ms) <= opt.progress_min_delta_ms);
}

// The position the report offers. Imports say when the position was saved through the play
// date; a webhook is now. (A webhook's played_at is the last finished play, older than the
// position it carries.)
Progress offered(const MediaItem& in, const MapContext& ctx) {
  const int64_t at = (ctx.kind == EventKind::import && in.played_at > 0) ? in.played_at : ctx.now;
  return Progress{in.progress_ms, ctx.server, at};
}

// A position reported before the state's newest event is history: before the play that counts
// (a position of the same second is the rewatch that play reports), or at or before the unmark
// (an import's unmark is dated by the run; a position without a date, by the run too, is from
// before it). The newest event only gets newer as a run goes on, and positions are ranked by
// date first, so clearing the older ones gives the same end in any order.
//
// Whether a short position is the tail of a play is judged by its own report (played there),
// never by the record's flag at the time: that flag may turn within the run, and a position
// dropped for it would let an older one win in one order and not in another. Export and display
// leave a short position on a played record aside (export_plan.cpp).
bool is_history(const Record& rec) {
  const Progress& p = rec.progress;
  const bool history = rec.watched ? p.at < rec.updated : (rec.unmarked_at > 0 && p.at <= rec.unmarked_at);
  return p.ms > 0 && history;
}

}  // namespace

bool apply_progress(Record& rec, const ServerMeta* before, const MediaItem& in, const MapContext& ctx,
                    const Report& report) {
  const Progress was = rec.progress;
  if (is_news(before, in, ctx, report)) {
    Progress candidate = offered(in, ctx);
    if (newer(candidate, rec.progress)) rec.progress = std::move(candidate);
  }
  if (is_history(rec)) rec.progress = Progress{};
  return rec.progress != was;
}

bool progress_unchanged(const Record& rec, const ServerMeta& before, const MediaItem& in, const MapContext& ctx,
                        const Report& report) {
  // apply_progress's steps over a record whose state the report leaves as it is: no news that
  // wins, and nothing stored that is history.
  if (is_news(&before, in, ctx, report) && newer(offered(in, ctx), rec.progress)) return false;
  return !is_history(rec);
}

}  // namespace ws::mapper_detail
