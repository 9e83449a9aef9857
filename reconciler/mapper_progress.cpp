// Rule 5: the resume position. One position per record, the newest report's; small moves are
// noise; on a played item only a rewatch (past the threshold) is a position worth keeping.
#include "mapper_internal.h"

namespace ws::mapper_detail {

bool apply_progress(Record& rec, const MediaItem& in, const MapContext& ctx, bool became_played) {
  const Progress before = rec.progress;
  const MapperOptions& opt = ctx.options;

  // A play that finished after the position was reported makes that position history.
  if (became_played && rec.progress.ms > 0 && rec.progress.at <= rec.updated) {
    rec.progress = Progress{0, ctx.server, rec.updated};
  }
  // On a played item a short position is the tail of the last play, not a rewatch.
  if (rec.watched && rec.progress.ms > 0 && rec.progress.ms <= opt.rewatch_threshold_ms) {
    rec.progress.ms = 0;
  }

  // 0 is "no position", never a reset; a completed play's position is where it ended, not
  // where to resume.
  const int64_t ms = in.progress_ms;
  const bool usable = ms > 0 && ctx.kind != EventKind::completed_play &&
                      !(rec.watched && ms <= opt.rewatch_threshold_ms);
  if (usable) {
    // Imports say when the position was saved through the play date; a webhook is now. (A
    // webhook's played_at is the last finished play, older than the position it carries.)
    const int64_t at = (ctx.kind == EventKind::import && in.played_at > 0) ? in.played_at : ctx.now;
    const int64_t delta = ms > rec.progress.ms ? ms - rec.progress.ms : rec.progress.ms - ms;
    if (at >= rec.progress.at && delta > opt.progress_min_delta_ms) {
      rec.progress = Progress{ms, ctx.server, at};
    }
  }
  return rec.progress != before;
}

}  // namespace ws::mapper_detail
