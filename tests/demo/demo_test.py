#!/usr/bin/env python3
"""Runs the demo (deploy/demo.sh, what `make demo` runs) and checks what it prints.

Usage: demo_test.py REPO_DIR BUILD_DIR

The demo must exit 0, and its output must show:
- the fakes' agreement check after the import and export, passed, with at least 10 items that
  differed before (else the check proves nothing);
- the movie it played on Plex, and a before/after table whose rows are exactly that movie on
  plex, jellyfin and emby, each from "unwatched" to "watched ...": the play reached the two
  other servers by webhook (no import ran), and nothing else changed;
- the agreement check after the webhook, passed, with exactly the one item that differed
  (played on Plex, not yet elsewhere).
A demo whose webhook does not propagate fails here twice: its wait gives up (exit 1), and its
table (if any) lacks the jellyfin and emby rows. Prints the demo's output when a check fails.
"""
import re
import subprocess
import sys

SERVERS = {"plex", "jellyfin", "emby"}
AGREE = re.compile(r"^fakes_agree: (\d+) items matched on 3 servers, (\d+) differed before the sync, (\d+) problems$")


def check(output, rc):
    problems = []
    if rc != 0:
        problems.append(f"the demo exited {rc}")
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in output.splitlines()]

    agreements = [AGREE.match(line) for line in lines]
    agreements = [m for m in agreements if m]
    if len(agreements) != 2:
        problems.append(f"{len(agreements)} agreement checks (fakes_agree lines) in the output, not 2")
    else:
        (m1, d1, p1), (m2, d2, p2) = (tuple(int(g) for g in m.groups()) for m in agreements)
        if p1 or d1 < 10:
            problems.append(f"after import and export: {d1} items differed before, {p1} problems (want >= 10, 0)")
        if p2 or d2 != 1:
            problems.append(f"after the webhook: {d2} items differed before, {p2} problems (want 1, 0)")

    played = [m.group(1) for m in (re.search(r'^demo: on Plex, someone plays "(.*)" to the end', line) for line in lines) if m]
    if len(played) != 1:
        problems.append(f"the demo names {len(played)} played items, not 1")
        return problems
    item = played[0]

    header = [i for i, line in enumerate(lines) if re.match(r"^\| item +\| server +\| before +\| after +\|$", line)]
    if len(header) != 1:
        problems.append(f"{len(header)} before/after tables in the output, not 1")
        return problems
    rows = []
    for line in lines[header[0] + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    servers = set()
    for row in rows:
        if len(row) != 4:
            problems.append(f"a table row without 4 cells: {row}")
            continue
        name, server, before, after = row
        if name != item:
            problems.append(f"the table lists {name} on {server}, which the demo did not play")
        elif before != "unwatched" or not re.match(r"^watched \d{4}-\d\d-\d\d \d\d:\d\d UTC$", after):
            problems.append(f"{item} on {server}: {before} -> {after}, not unwatched -> watched DATE")
        else:
            servers.add(server)
    if servers != SERVERS:
        problems.append(f"{item} went from unwatched to watched on {sorted(servers)}, not on {sorted(SERVERS)}")
    if not any(line.startswith("demo: done") for line in lines):
        problems.append("no 'demo: done' line")
    return problems


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    repo, build = sys.argv[1:]
    run = subprocess.run(["bash", f"{repo}/deploy/demo.sh", build], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, errors="replace", timeout=240)
    problems = check(run.stdout, run.returncode)
    if problems:
        print(run.stdout)
        print("demo_test: FAILED")
        for p in problems:
            print("  " + p)
        return 1
    print("demo_test: the demo's table shows the play on plex, jellyfin and emby; both agreement checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
