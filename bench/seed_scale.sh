#!/usr/bin/env bash
# Seed-scale benchmark (issue 10; run by hand, never by ctest). Four fake servers — one Plex, two
# Jellyfin, one Emby, each `--movies 2000 --shows 100 --seasons 7 --episodes 100` (71,996 items,
# the seed's own test size) — then, each process under /usr/bin/time (wall, CPU, peak RSS) and a
# sampler of /proc/PID/smaps_rollup (peak PSS, and the peak of the sum over processes):
#   floor  plain curl fetching the same item pages, the four servers side by side
#   a      fresh import, embedded
#   mp     fresh import, multi-process with 1 and with 4 fetchers
#   mpb    multi-process with 4 fetchers: a fresh import, then a full re-import with nothing
#          changed (`state:import -f`), and ws-reconciler's CPU for each (from /proc, per item)
#   b      full re-import with nothing changed (embedded)
#   c      incremental re-import with nothing changed (embedded): c1 as configured by default
#          (Plex and Emby by delta, the two Jellyfin whole: import.jellyfin_delta off), c2 all four
#          by delta (WS_IMPORT_JELLYFIN_DELTA=true)
#   d      export after 1% of the items were played on one server (first a full export)
#   e      first export to two servers (Plex, Jellyfin) whose states differ by ~16,000 plays each
# Every run also prints records written (the reconciler's log: records put), bytes the fakes sent
# and data.mdb's size.
#
# Usage: bench/seed_scale.sh [BUILD_DIR] [DIVISOR]
#   DIVISOR (default 1) divides the movies and shows: 10 gives 200 movies + 10 shows (7,200 items)
#   to iterate quickly. SECTIONS="floor a mp b c d e" (default all) picks what runs. KEEP_DB=DIR
#   copies the state folder there after each run (to look into it with mdb_stat / mdb_dump).
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
DIV=${2:-1}
SECTIONS=${SECTIONS:-floor a mp b c d e}
MOVIES=$((2000 / DIV))
SHOWS=$(((100 + DIV - 1) / DIV))
SCALE=(--movies "$MOVIES" --shows "$SHOWS" --seasons 7 --episodes 100)
TOKEN=bench-token-0123
work=$(mktemp -d)
started=()  # pids this script started (fakes, workers): killed by id on exit
cleanup() {
  for p in "${started[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 20000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }
wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }

# Peak PSS sampler: follows the given pids and their descendants until $work/stop appears; prints
# "pid name peak_pss_kib" per process and "sum peak_pss_kib" (the peak of the sum at one instant).
cat >"$work/pss.py" <<'PY'
import os, sys, time
roots = [int(p) for p in sys.argv[2:]]
stop = sys.argv[1]
peak, names, peak_sum = {}, {}, 0
def children(pid):
    out = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out
def pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
while not os.path.exists(stop):
    todo, total = list(roots), 0
    while todo:
        pid = todo.pop()
        todo += children(pid)
        if pid in roots:
            continue  # /usr/bin/time itself
        kib = pss(pid)
        if kib is None:
            continue
        if pid not in names:
            try:
                names[pid] = open(f"/proc/{pid}/comm").read().strip()
            except OSError:
                names[pid] = "?"
        peak[pid] = max(peak.get(pid, 0), kib)
        total += kib
    peak_sum = max(peak_sum, total)
    time.sleep(0.1)
for pid, kib in peak.items():
    print(pid, names[pid], kib)
print("sum", peak_sum)
PY

T=/usr/bin/time
TFMT='%e %U %S %M'
mib() { echo $(( ($1 + 512) / 1024 )); }
# report LABEL TIMEFILE [PSS_KIB]: one line per measured process
report() {
  local label=$1 file=$2 pss=${3:-}
  read -r wall user sys rss <"$file"
  printf '  %-44s wall %6.1f s  CPU %6.1f s (user %.1f + sys %.1f)  peak RSS %4d MiB%s\n' "$label" "$wall" \
    "$(echo "$user + $sys" | bc)" "$user" "$sys" "$(mib "$rss")" "${pss:+  peak PSS $(mib "$pss") MiB}"
}
fake_bytes() {  # bytes the fakes have sent so far, all of them together
  local total=0 p b
  for p in "$@"; do b=$(curl -s "http://127.0.0.1:$p/__fake/stats" | jq '.bytes'); total=$((total + b)); done
  echo "$total"
}
db_size() { local f=$WS_DATA_PATH/db/data.mdb; [[ -f $f ]] && echo "$(( $(stat -c %s "$f") / 1024 / 1024 )) MiB" || echo "-"; }
records() { "$B/cli/watchstate" --output json db:stats 2>/dev/null | jq -r '.. | objects | select(has("records")) | .records' | head -1; }
# Where data.mdb's bytes go (mdb_stat from lmdb-utils, when installed): per database its entries,
# pages (branch + leaf + overflow, 4 KiB each) and those pages' bytes per record.
db_breakdown() {
  command -v mdb_stat >/dev/null || return 0
  local n; n=$(records); [[ ${n:-0} -gt 0 ]] || return 0
  mdb_stat -a "$WS_DATA_PATH/db" 2>/dev/null | awk -v n="$n" '
    /^Status of / { name = $3 } /^  Tree depth:/ { depth = $3 }
    /^  Branch pages:|^  Leaf pages:|^  Overflow pages:/ { pages[name] += $3 }
    /^  Entries:/ { if (name != "") printf "      %-15s %8d entries %6d pages depth %d  %5.0f B/record\n", name, $2, pages[name], depth, pages[name] * 4096 / n }'
}
# summary JSON → "new N, changed N, written N"
summarize() {
  jq -r '[.summary.servers[]] | "new \(map(.new)|add), changed \(map(.changed)|add), matched \(map(.matched)|add), unmatched \(map(.unmatched)|add), planned \(map(.planned)|add), written \(map(.written)|add), failed \(map(.failed)|add)"' "$1" 2>/dev/null || echo "(no summary: $(head -c 300 "$1"))"
}

# start_fake TYPE SEED WATCHED → sets FAKE_PORT; the fake's pid goes into `started` (so not in a
# $(…) subshell, where the pid would be lost and the fake outlive the script)
start_fake() {
  local type=$1 seed=$2 watched=$3 log
  log=$work/fake.$type.$RANDOM.log
  "$B/tests/fakes/ws-fakeserver" --type "$type" --port 0 --token "$TOKEN" --catalog 1 "${SCALE[@]}" \
    --state-seed "$seed" --watched "$watched" --progress 5 >"$log" 2>&1 &
  started+=($!)
  for _ in $(seq 600); do grep -q 'listening on' "$log" 2>/dev/null && break; sleep 0.1; done
  FAKE_PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -1)
}
write_servers() {  # write_servers NAME:TYPE:PORT ...
  : >"$WS_DATA_PATH/config/servers.yaml"
  local s name type port user
  for s in "$@"; do
    IFS=: read -r name type port <<<"$s"
    user=$(curl -s "http://127.0.0.1:$port/__fake/info" | jq -r .user_id)
    printf "%s:\n  type: %s\n  url: 'http://127.0.0.1:%s'\n  token: '%s'\n  user: '%s'\n" \
      "$name" "$type" "$port" "$TOKEN" "$user" >>"$WS_DATA_PATH/config/servers.yaml"
  done
}

# measure LABEL -- CMD...: runs the CLI command measured; its JSON reply goes to $work/out.json
measure() {
  local label=$1; shift 2
  rm -f "$work/stop"
  $T -f "$TFMT" -o "$work/t.cli" "$@" >"$work/out.json" 2>"$work/err.log" &
  local tp=$!
  python3 "$work/pss.py" "$work/stop" "$tp" >"$work/pss.cli" &
  local sp=$!
  wait "$tp" || { echo "  $label FAILED:"; tail -5 "$work/err.log"; }
  touch "$work/stop"; wait "$sp"
  report "$label" "$work/t.cli" "$(awk '$1=="sum"{print $2}' "$work/pss.cli")"
}

echo "seed_scale: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u '+%F %H:%M') UTC"
echo "scale: each server --movies $MOVIES --shows $SHOWS --seasons 7 --episodes 100; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

export WS_DATA_PATH=$work/var
mkdir -p "$WS_DATA_PATH/config"
start_fake plex 1 30; PLEX=$FAKE_PORT
start_fake jellyfin 1 30; JF1=$FAKE_PORT
start_fake jellyfin 1 30; JF2=$FAKE_PORT
start_fake emby 1 30; EMBY=$FAKE_PORT
FAKES=("$PLEX" "$JF1" "$JF2" "$EMBY")
write_servers plex:plex:$PLEX jf1:jellyfin:$JF1 jf2:jellyfin:$JF2 emby:emby:$EMBY
W=$(free_port); E=$(free_port); C=$(free_port)
printf "endpoints:\n  workers: 'tcp://127.0.0.1:%s'\n  events: 'tcp://127.0.0.1:%s'\n  control: 'tcp://127.0.0.1:%s'\n" \
  "$W" "$E" "$C" >"$WS_DATA_PATH/config/config.yaml"
items=0
for p in "${FAKES[@]}"; do items=$((items + $(curl -s "http://127.0.0.1:$p/__fake/info" | jq '.movies + .episodes'))); done
echo "fakes: plex :$PLEX, jellyfin :$JF1 :$JF2, emby :$EMBY — $items items in all"
WSC=("$B/cli/watchstate" --output json -v)
IMPORT_ARGS=(${IMPORT_ARGS:-})
PAGE=500

if want floor; then
  # The item pages the clients ask for (page size 500), fetched by curl over one keep-alive
  # connection per server, the four servers side by side.
  for p in "${FAKES[@]}"; do
    info=$(curl -s "http://127.0.0.1:$p/__fake/info")
    type=$(jq -r .type <<<"$info"); user=$(jq -r .user_id <<<"$info")
    nm=$(jq .movies <<<"$info"); ne=$(jq .episodes <<<"$info")
    : >"$work/urls.$p"
    if [[ $type == plex ]]; then
      for ((s = 0; s < nm; s += PAGE)); do echo "url = \"http://127.0.0.1:$p/library/sections/1/all?type=1&includeGuids=1&sort=addedAt&X-Plex-Container-Start=$s&X-Plex-Container-Size=$PAGE\"" >>"$work/urls.$p"; done
      for ((s = 0; s < ne; s += PAGE)); do echo "url = \"http://127.0.0.1:$p/library/sections/2/all?type=4&includeGuids=1&sort=episode.addedAt&X-Plex-Container-Start=$s&X-Plex-Container-Size=$PAGE\"" >>"$work/urls.$p"; done
      hdr=(-H "X-Plex-Token: $TOKEN" -H "Accept: application/json")
    else
      views=$(curl -s -H "X-Emby-Token: $TOKEN" "http://127.0.0.1:$p/Users/$user/Views")
      mlib=$(jq -r '.Items[] | select(.CollectionType=="movies") | .Id' <<<"$views")
      slib=$(jq -r '.Items[] | select(.CollectionType=="tvshows") | .Id' <<<"$views")
      q="recursive=true&fields=ProviderIds,Path,DateCreated,PremiereDate&enableUserData=true&enableImages=false&sortBy=DateCreated,SortName&sortOrder=Ascending"
      for ((s = 0; s < nm; s += PAGE)); do echo "url = \"http://127.0.0.1:$p/Users/$user/Items?parentId=$mlib&includeItemTypes=Movie&$q&startIndex=$s&limit=$PAGE\"" >>"$work/urls.$p"; done
      for ((s = 0; s < ne; s += PAGE)); do echo "url = \"http://127.0.0.1:$p/Users/$user/Items?parentId=$slib&includeItemTypes=Episode&$q&startIndex=$s&limit=$PAGE\"" >>"$work/urls.$p"; done
      hdr=(-H "X-Emby-Token: $TOKEN")
    fi
    sed -i 's/$/\noutput = "\/dev\/null"/' "$work/urls.$p"
    printf '%s\n' "${hdr[@]}" >"$work/hdr.$p"
  done
  b0=$(fake_bytes "${FAKES[@]}")
  start=$(date +%s.%N)
  cps=()
  for p in "${FAKES[@]}"; do
    mapfile -t h <"$work/hdr.$p"
    $T -f "$TFMT" -o "$work/t.curl.$p" curl -s -f "${h[@]}" -K "$work/urls.$p" &
    cps+=($!)
  done
  for c in "${cps[@]}"; do wait "$c" || echo "  curl failed"; done
  end=$(date +%s.%N)
  b1=$(fake_bytes "${FAKES[@]}")
  cpu=0; for p in "${FAKES[@]}"; do read -r _ u s _ <"$work/t.curl.$p"; cpu=$(echo "$cpu + $u + $s" | bc); done
  printf 'floor: curl, 4 servers side by side: wall %.1f s, curl CPU %.1f s, %d requests, %d MB\n' \
    "$(echo "$end - $start" | bc)" "$cpu" "$(cat "$work"/urls.* | grep -c '^url')" $(((b1 - b0) / 1000000))
fi

after_run() {  # the run's figures besides time: records written, bytes fetched, data.mdb
  local written
  written=$(sed -n 's/.*; \([0-9]*\) records written.*/\1/p' "$work/err.log" | awk '{s+=$1} END{print s+0}')
  echo "    $(summarize "$work/out.json"); records written $written; fetched $((($(fake_bytes "${FAKES[@]}") - $1) / 1000000)) MB; data.mdb $(db_size), $(records) records"
  db_breakdown
  if [[ -n ${KEEP_DB:-} ]]; then rm -rf "$KEEP_DB"; cp -r "$WS_DATA_PATH/db" "$KEEP_DB"; fi
}

if want a || want b; then
  echo "a/b: embedded (watchstate state:import, one process)"
  b0=$(fake_bytes "${FAKES[@]}")
  measure "a fresh import, embedded" -- "${WSC[@]}" state:import "${IMPORT_ARGS[@]}"; after_run "$b0"
  if want b; then
    b0=$(fake_bytes "${FAKES[@]}")
    measure "b full re-import, nothing changed, embedded" -- "${WSC[@]}" state:import -f "${IMPORT_ARGS[@]}"; after_run "$b0"
  fi
fi
if want c; then
  echo "c: incremental re-import, nothing changed (embedded)"
  # A delta needs a full import before it.
  [[ -f $WS_DATA_PATH/db/data.mdb ]] || "${WSC[@]}" state:import >/dev/null 2>&1
  b0=$(fake_bytes "${FAKES[@]}")
  measure "c1 incremental re-import, default (Jellyfin whole)" -- "${WSC[@]}" state:import "${IMPORT_ARGS[@]}"; after_run "$b0"
  echo "    kinds: $(jq -r '[.summary.servers | to_entries[] | "\(.key) \(.value.import) \(.value.fetched)"] | join(", ")' "$work/out.json")"
  b0=$(fake_bytes "${FAKES[@]}")
  WS_IMPORT_JELLYFIN_DELTA=true \
    measure "c2 incremental re-import, all four by delta" -- "${WSC[@]}" state:import "${IMPORT_ARGS[@]}"; after_run "$b0"
  echo "    kinds: $(jq -r '[.summary.servers | to_entries[] | "\(.key) \(.value.import) \(.value.fetched)"] | join(", ")' "$work/out.json")"
fi

proc_cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }  # user + system seconds of PID so far

# multi_process N: fresh state, ws-reconciler + N ws-fetcher + 1 ws-exporter, the CLI enqueues.
multi_process() {
  local n=$1 procs=() tps=() i
  rm -rf "$WS_DATA_PATH/db"
  $T -f "$TFMT" -o "$work/t.rec" "$B/reconciler/ws-reconciler" >"$work/rec.log" 2>&1 &
  tps+=($!); started+=($!)
  wait_port "$C"
  for ((i = 0; i < n; i++)); do
    $T -f "$TFMT" -o "$work/t.fet.$i" "$B/fetcher/ws-fetcher" >"$work/fet.$i.log" 2>&1 &
    tps+=($!); started+=($!)
  done
  $T -f "$TFMT" -o "$work/t.exp" "$B/exporter/ws-exporter" >"$work/exp.log" 2>&1 &
  tps+=($!); started+=($!)
  rm -f "$work/stop"
  python3 "$work/pss.py" "$work/stop" "${tps[@]}" >"$work/pss.mp" &
  local sp=$!
  local b0; b0=$(fake_bytes "${FAKES[@]}")
  local rp c0 c1 c2  # ws-reconciler (the child of its /usr/bin/time) and its CPU seconds so far
  rp=$(awk '{print $1}' "/proc/${tps[0]}/task/${tps[0]}/children")
  c0=$(proc_cpu "$rp")
  measure "a fresh import, multi-process, $n fetcher(s): CLI" -- "${WSC[@]}" state:import
  if want mpb; then
    c1=$(proc_cpu "$rp")
    measure "b full re-import, multi-process, $n fetcher(s): CLI" -- "${WSC[@]}" state:import -f
    c2=$(proc_cpu "$rp")
    printf '    ws-reconciler CPU: fresh import %.2f s (%.1f us per item), full re-import %.2f s (%.1f us per item)\n' \
      "$(echo "$c1 - $c0" | bc)" "$(echo "($c1 - $c0) * 1000000 / $items" | bc -l)" \
      "$(echo "$c2 - $c1" | bc)" "$(echo "($c2 - $c1) * 1000000 / $items" | bc -l)"
  fi
  touch "$work/stop"; wait "$sp"
  for tp in "${tps[@]}"; do pkill -TERM -P "$tp" || true; done
  for tp in "${tps[@]}"; do wait "$tp" 2>/dev/null || true; done
  pss_of() { awk -v n="$1" '$2==n{s+=$3} END{print s+0}' "$work/pss.mp"; }
  report "  ws-reconciler" "$work/t.rec" "$(pss_of ws-reconciler)"
  for ((i = 0; i < n; i++)); do report "  ws-fetcher $i" "$work/t.fet.$i"; done
  echo "    ws-fetcher peak PSS, all together: $(mib "$(pss_of ws-fetcher)") MiB (max per process summed)"
  report "  ws-exporter" "$work/t.exp" "$(pss_of ws-exporter)"
  local cpu=0
  for f in "$work"/t.rec "$work"/t.fet.* "$work"/t.exp "$work"/t.cli; do read -r _ u s _ <"$f"; cpu=$(echo "$cpu + $u + $s" | bc); done
  echo "    all processes: CPU $cpu s; peak of summed PSS $(mib "$(awk '$1=="sum"{print $2}' "$work/pss.mp")") MiB (+ CLI)"
  cat "$work/rec.log" >>"$work/err.log"
  after_run "$b0"
  rm -f "$work"/t.fet.*
}
if want mp; then
  echo "a: multi-process (ws-reconciler, ws-fetcher x N, ws-exporter; watchstate enqueues)"
  multi_process 1
  multi_process 4
elif want mpb; then
  echo "a/b: multi-process, 4 fetchers, fresh import then full re-import"
  multi_process 4
fi

if want d; then
  echo "d: export after 1% changed (embedded)"
  [[ -f $WS_DATA_PATH/db/data.mdb ]] || "${WSC[@]}" state:import >/dev/null
  b0=$(fake_bytes "${FAKES[@]}")
  measure "d0 first export (full: every server's library)" -- "${WSC[@]}" state:export --force; after_run "$b0"
  # 1% of jf1's items, unplayed there, get played on jf1 (as a person would).
  python3 - "$JF1" "$items" <<'PY'
import json, sys, urllib.request
port, items = sys.argv[1], int(sys.argv[2])
base = f"http://127.0.0.1:{port}/__fake"
listed = json.load(urllib.request.urlopen(base + "/items"))
want = max(1, items // 4 // 100)
chosen = [i["id"] for i in listed if not i["watched"]][::7][:want]
for n, item in enumerate(chosen):
    body = json.dumps({"item": item, "action": "play", "at": 1767225600 + n}).encode()
    urllib.request.urlopen(urllib.request.Request(base + "/act", body, {"Content-Type": "application/json"}))
print(f"    played {len(chosen)} items on jf1 ({len(chosen) * 100 / len(listed):.1f}% of its {len(listed)})")
PY
  for p in "${FAKES[@]}"; do curl -s -X DELETE "http://127.0.0.1:$p/__fake/writes"; done
  b0=$(fake_bytes "${FAKES[@]}")
  measure "d1 import after 1% changed" -- "${WSC[@]}" state:import; after_run "$b0"
  b0=$(fake_bytes "${FAKES[@]}")
  measure "d2 export after 1% changed" -- "${WSC[@]}" state:export; after_run "$b0"
  w=""; for p in "${FAKES[@]}"; do w="$w $(curl -s "http://127.0.0.1:$p/__fake/writes" | jq length)"; done
  echo "    writes the fakes received (plex jf1 jf2 emby):$w"
fi

if want e; then
  echo "e: first export to two servers whose states differ (Plex state seed 1, Jellyfin seed 2, 33% played)"
  for p in "${started[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  started=()
  export WS_DATA_PATH=$work/var-e
  mkdir -p "$WS_DATA_PATH/config"
  start_fake plex 1 33; EP=$FAKE_PORT
  start_fake jellyfin 2 33; EJ=$FAKE_PORT
  FAKES=("$EP" "$EJ")
  write_servers plex:plex:$EP jf:jellyfin:$EJ
  "${WSC[@]}" state:import >"$work/out.json" 2>"$work/err.log" || tail -3 "$work/err.log"
  echo "    imported both: $(summarize "$work/out.json")"
  b0=$(fake_bytes "${FAKES[@]}")
  measure "e first export, 2 servers (state:export --force)" -- "${WSC[@]}" state:export --force; after_run "$b0"
  jq -r '.summary.servers | to_entries[] | "    \(.key): planned \(.value.planned), written \(.value.written), failed \(.value.failed)"' "$work/out.json" 2>/dev/null || true
  for p in "${FAKES[@]}"; do  # the fake's write log has whole seconds: a rate over the span it saw writes
    curl -s "http://127.0.0.1:$p/__fake/writes" | jq -r --arg p "$p" \
      'if length == 0 then "    :\($p): no writes" else (map(.at) | min) as $a | (map(.at) | max) as $b |
       "    :\($p): \(length) writes between the first and the last (\($b - $a + 1) s, whole seconds): \(length / ($b - $a + 1) | floor) writes/s" end'
  done
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
