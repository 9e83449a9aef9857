#!/usr/bin/env bash
# Import benchmark (run by hand): one fake server with the seed's scale (2,000 movies + 70,000
# episodes), imported embedded (fresh, then again), then by the multi-process stack, each
# process under /usr/bin/time for wall time and peak memory.
# Usage: bench/import_bench.sh [BUILD_DIR] [plex|jellyfin|emby]
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
TYPE=${2:-jellyfin}
work=$(mktemp -d)
export WS_DATA_PATH=$work/var
mkdir -p "$WS_DATA_PATH/config"
free_port() { local p; while :; do p=$((20000 + RANDOM % 20000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }
fake_port=$(free_port); w=$(free_port); e=$(free_port); c=$(free_port)
"$B/tests/fakes/ws-fakeserver" --type "$TYPE" --port "$fake_port" --token bench-token-0123 --user-id u \
  --catalog 1 --movies 2000 --shows 350 --seasons 4 --episodes 50 --state-seed 1 --watched 30 --progress 5 \
  >"$work/fake.log" 2>&1 &
fake=$!
# Processes are stopped by id (the children of the /usr/bin/time this script started), never by
# name: other stacks may run on the machine.
rec=; fet=; exp=
stop() { for p in "$@"; do [ -n "$p" ] && pkill -TERM -P "$p" 2>/dev/null; done; return 0; }
trap 'kill $fake 2>/dev/null; stop $fet $exp $rec; rm -rf "$work"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$fake_port") 2>/dev/null && break; sleep 0.1; done
cat >"$WS_DATA_PATH/config/servers.yaml" <<Y
big:
  type: $TYPE
  url: 'http://127.0.0.1:$fake_port'
  token: 'bench-token-0123'
  user: 'u'
Y
cat >"$WS_DATA_PATH/config/config.yaml" <<Y
endpoints:
  workers: 'tcp://127.0.0.1:$w'
  events: 'tcp://127.0.0.1:$e'
  control: 'tcp://127.0.0.1:$c'
Y
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
echo "fake: $TYPE, $(tail -1 "$work/fake.log")"
T=/usr/bin/time
$T -f "embedded import: %e s wall, %M KiB peak RSS" "$B/cli/watchstate" state:import 2>&1 | tail -3
$T -f "embedded re-import: %e s wall, %M KiB peak RSS" "$B/cli/watchstate" state:import 2>&1 | tail -3
rm -rf "$WS_DATA_PATH/db"
$T -f "ws-reconciler: %e s wall, %M KiB peak RSS" "$B/reconciler/ws-reconciler" >"$work/rec.log" 2>&1 &
rec=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$c") 2>/dev/null && break; sleep 0.1; done
$T -f "ws-fetcher: %e s wall, %M KiB peak RSS" "$B/fetcher/ws-fetcher" >"$work/fet.log" 2>&1 &
fet=$!
$T -f "ws-exporter: %e s wall, %M KiB peak RSS" "$B/exporter/ws-exporter" >"$work/exp.log" 2>&1 &
exp=$!
$T -f "multi-process import, watchstate client: %e s wall, %M KiB peak RSS" "$B/cli/watchstate" state:import 2>&1 | tail -3
stop $fet $exp; wait $fet $exp 2>/dev/null || true
stop $rec; wait $rec 2>/dev/null || true
for f in rec fet exp; do tail -n 1 "$work/$f.log"; done
