#!/usr/bin/env python3
"""What changed where between two snapshots of fake servers (the demo, deploy/demo.sh).

Each folder holds SERVER.json files: a fake's GET /__fake/items. Items are matched across
servers the way fakes_agree.py matches them (type, title, year, season, episode; items without
any external id and multi-episode files left out), so a label names one item on every server.

Usage:
  fakes_changes.py pick SERVER DIR
      prints "ID<TAB>LABEL" of the first movie that every server has, with an IMDb id, and that
      is unwatched with no progress everywhere: something to play on SERVER. Exit 1 when none.
  fakes_changes.py reached LABEL BEFORE_DIR NOW_DIR
      exit 0 when the item LABEL changed on every server between the two snapshots, else 1
      (silent: a condition to wait on).
  fakes_changes.py table BEFORE_DIR AFTER_DIR
      prints a table (item | server | before | after) of every item whose watched flag, played
      date or progress changed, one row per server where it changed.
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakes_agree import groups, label, load  # noqa: E402  (shared matching, one definition)


def by_label(folder):
    return {label(k): g for k, g in groups(load(folder)).items()}


def state(item):
    """A person's reading of one item's state on one server."""
    if item["watched"]:
        at = item.get("played_at")
        when = datetime.datetime.fromtimestamp(at, datetime.timezone.utc).strftime(" %Y-%m-%d %H:%M UTC") if at else ""
        return "watched" + when
    if item.get("progress_ms"):
        seconds = item["progress_ms"] // 1000
        return f"unwatched, at {seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return "unwatched"


def changed(a, b):
    return (a["watched"], a.get("played_at"), a.get("progress_ms")) != (b["watched"], b.get("played_at"), b.get("progress_ms"))


def pick(server, folder):
    for name, g in sorted(by_label(folder).items()):
        item = g.get(server)
        if item is None or item["type"] != "movie" or not item["guids"].get("imdb"):
            continue
        if all(not i["watched"] and not i.get("progress_ms") for i in g.values()):
            print(f"{item['id']}\t{name}")
            return 0
    print(f"fakes_changes: no movie unwatched on every server in {folder}", file=sys.stderr)
    return 1


def reached(name, before_dir, now_dir):
    before, now = by_label(before_dir).get(name), by_label(now_dir).get(name)
    if before is None or now is None or sorted(before) != sorted(now):
        return 1
    return 0 if all(changed(before[s], now[s]) for s in before) else 1


def table(before_dir, after_dir):
    before, after = by_label(before_dir), by_label(after_dir)
    rows = []
    for name in sorted(before):
        for server in sorted(before[name]):
            a, b = before[name][server], after.get(name, {}).get(server)
            if b is None:
                rows.append((name, server, state(a), "gone"))
            elif changed(a, b):
                rows.append((name, server, state(a), state(b)))
    widths = [max(len(r[i]) for r in rows + [("item", "server", "before", "after")]) for i in range(4)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
    print(line(("item", "server", "before", "after")))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print(f"{len(rows)} changes on {len({r[1] for r in rows})} servers")
    return 0


def main(argv):
    if len(argv) == 3 and argv[0] == "pick":
        return pick(argv[1], argv[2])
    if len(argv) == 4 and argv[0] == "reached":
        return reached(*argv[1:])
    if len(argv) == 3 and argv[0] == "table":
        return table(*argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
