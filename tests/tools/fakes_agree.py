#!/usr/bin/env python3
"""Checks that fake servers agree after a sync (the deploy test and the demo, deploy/demo.sh).

Usage: fakes_agree.py [--min-differing N] BEFORE_DIR AFTER_DIR
Each folder holds SERVER.json files: a fake's GET /__fake/items before and after the sync.

The fakes share one catalogue (same --catalog), so one movie or episode has the same type,
title, year, season and episode everywhere: the items are matched on that, the way a person
would, not through watchstate's own matching (which is what is under test). Items some server
shows without any external id are left out: nothing can match those. So are multi-episode files
(an item with `episode_end`): DESIGN rule 6 leaves such a file as it is while its episodes
disagree, so it need not follow the others (tests/e2e's match_across leaves them out too).

Checks: before the sync the servers disagree on N items or more (default 10; else the test
proves nothing);
after it every matched item is watched on all servers or on none, and watched exactly when some
server had it watched before (played is news). Prints what differs; exits 1 when a check fails.
"""
import argparse
import json
import pathlib
import sys


def load(folder):
    servers = {}
    for path in sorted(pathlib.Path(folder).glob("*.json")):
        servers[path.stem] = json.loads(path.read_text())
    if len(servers) < 2:
        sys.exit(f"fakes_agree: fewer than two servers' items in {folder}")
    return servers


def key(item):
    return (item["type"], item["title"], item.get("year"), item.get("season"), item.get("episode"))


def groups(servers):
    """key -> {server: item}, for items every server has once, each with some external id."""
    by_key = {}
    for server, items in servers.items():
        for item in items:
            if item.get("episode_end"):
                continue
            by_key.setdefault(key(item), {}).setdefault(server, []).append(item)
    out = {}
    for k, per_server in by_key.items():
        if len(per_server) != len(servers) or any(len(v) != 1 for v in per_server.values()):
            continue
        if any(not v[0].get("guids") and not v[0].get("series_guids") for v in per_server.values()):
            continue
        out[k] = {server: v[0] for server, v in per_server.items()}
    return out


def label(k):
    kind, title, year, season, episode = k
    return f"{title} S{season:02d}E{episode:02d}" if kind == "episode" else f"{title} ({year})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--min-differing", type=int, default=10)
    parser.add_argument("before")
    parser.add_argument("after")
    args = parser.parse_args()
    before, after = load(args.before), load(args.after)
    if sorted(before) != sorted(after):
        sys.exit(f"fakes_agree: servers before {sorted(before)} and after {sorted(after)} differ")
    matched_before, matched_after = groups(before), groups(after)
    problems = []
    if len(matched_before) < 50:
        problems.append(f"only {len(matched_before)} items matched across {sorted(before)}: the catalogue is too small")
    differing = [k for k, g in matched_before.items() if len({i["watched"] for i in g.values()}) > 1]
    if len(differing) < args.min_differing:
        problems.append(f"only {len(differing)} items differ before the sync: the test would prove nothing")
    for k, g in sorted(matched_before.items(), key=lambda kv: label(kv[0])):
        expected = any(i["watched"] for i in g.values())
        now = matched_after.get(k)
        if now is None:
            problems.append(f"{label(k)}: no longer on every server")
            continue
        wrong = {s: i["watched"] for s, i in now.items() if i["watched"] != expected}
        if wrong:
            was = ", ".join(f"{s}={'watched' if i['watched'] else 'unwatched'}" for s, i in sorted(g.items()))
            problems.append(f"{label(k)}: expected {'watched' if expected else 'unwatched'} everywhere "
                            f"(before: {was}), but {wrong}")
    print(f"fakes_agree: {len(matched_before)} items matched on {len(before)} servers, "
          f"{len(differing)} differed before the sync, {len(problems)} problems")
    for p in problems[:40]:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
