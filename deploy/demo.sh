#!/usr/bin/env bash
# The demo `make demo` runs: three fake media servers (Plex, Jellyfin, Emby) sharing one
# catalogue but with different watch states, then watchstate imports from all three and exports
# the merged state back, in a temporary data folder. Usage: deploy/demo.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
ws="$build/cli/watchstate"
fake="$build/tests/fakes/ws-fakeserver"
data=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
export WS_DATA_PATH="$data"

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

sizes=(--catalog 7 --movies 200 --shows 20 --seasons 2 --episodes 10)
declare -A ports
seed=1
for type in plex jellyfin emby; do
  ports[$type]=$(free_port)
  seed=$((seed + 1))
  "$fake" --type "$type" --port "${ports[$type]}" --token "demo-$type-token" --user-id demo-user \
    "${sizes[@]}" --state-seed "$seed" --watched 30 --progress 5 >"$data/fake-$type.log" 2>&1 &
  pids+=($!)
done
for type in plex jellyfin emby; do
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/${ports[$type]}") 2>/dev/null && break
    sleep 0.1
  done
done

mkdir -p "$data/config"
cat >"$data/config/servers.yaml" <<YAML
demo_plex:
  type: plex
  url: 'http://127.0.0.1:${ports[plex]}'
  token: 'demo-plex-token'
demo_jellyfin:
  type: jellyfin
  url: 'http://127.0.0.1:${ports[jellyfin]}'
  token: 'demo-jellyfin-token'
  user: 'demo-user'
demo_emby:
  type: emby
  url: 'http://127.0.0.1:${ports[emby]}'
  token: 'demo-emby-token'
  user: 'demo-user'
YAML
chmod 600 "$data/config/servers.yaml"

step "$ws" servers:list
step "$ws" state:import
# The plan can be long: keep it in a file and show its start (a pipe into head would cut it off).
step "$ws" state:export --dry-run >"$data/plan.txt"
head -n 15 "$data/plan.txt"
echo "... $(wc -l <"$data/plan.txt") lines in all"
step "$ws" state:export
step "$ws" state:export
step "$ws" state:list --watched --limit 10
step "$ws" state:unmatched
step "$ws" db:stats
echo
echo "demo: done (the second export found nothing left to write); data folder $data (removed on exit)"
