#!/usr/bin/env bash
# The demo `make demo` runs: three fake media servers (Plex, Jellyfin, Emby) sharing one
# catalogue but with different watch states, then, in a temporary data folder:
#   1. watchstate imports from all three and exports the merged state back (twice: the second
#      export finds nothing to write), and the fakes' own states are compared (they must agree);
#   2. real time: `watchstate serve` runs (reconciler, workers and the webhook endpoint in one
#      process), someone plays a movie on the Plex fake, the fake sends Plex's own webhook to
#      serve, and the demo waits until the play has reached the Jellyfin and Emby fakes; then it
#      prints what changed where (item | server | before | after) and checks again that the three
#      fakes agree.
# Exits non-zero when a step fails, the play does not arrive within its deadline, or the fakes do
# not agree (tests/tools/fakes_agree.py). Needs curl and python3 (deploy/install-deps.sh).
# Usage: deploy/demo.sh [BUILD_DIR]     (tests/demo/demo_test.py runs it and checks its table)
set -euo pipefail
build=${1:-build}
repo=$(cd "$(dirname "$0")/.." && pwd)
tools="$repo/tests/tools"
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

fail() {
  echo "demo: FAILED: $*" >&2
  exit 1
}
for program in "$ws" "$fake"; do
  [ -x "$program" ] || fail "$program is not built (make demo builds it)"
done

# Runs "$@" until it succeeds, at most `limit` seconds; fails the demo naming what it waited for.
wait_for() {
  local what=$1 limit=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what: not within ${limit} s"
    sleep 0.1
  done
}

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

# Each fake takes a free port of its own (--port 0) and says which on its first line.
sizes=(--catalog 7 --movies 200 --shows 20 --seasons 2 --episodes 10)
declare -A ports
seed=1
for type in plex jellyfin emby; do
  seed=$((seed + 1))
  # Plex names accounts by number (the owner is 1, the fake's default); the others by a user id.
  user=()
  [ "$type" = plex ] || user=(--user-id demo-user)
  "$fake" --type "$type" --port 0 --token "demo-$type-token" "${user[@]}" \
    "${sizes[@]}" --state-seed "$seed" --watched 30 --progress 5 >"$data/fake-$type.log" 2>&1 &
  pids+=($!)
done
for type in plex jellyfin emby; do
  wait_for "the $type fake's listening line" 20 grep -q ' listening on ' "$data/fake-$type.log"
  ports[$type]=$(sed -n 's/.* listening on [^ ]*:\([0-9]*\) .*/\1/p' "$data/fake-$type.log" | head -n 1)
done

# The fakes' own view: every item's state on each, as a person would see it on that server.
snapshot() {  # FOLDER
  mkdir -p "$1"
  local type
  for type in plex jellyfin emby; do
    curl -fsS "http://127.0.0.1:${ports[$type]}/__fake/items" >"$1/$type.json" || fail "GET /__fake/items from the $type fake"
  done
}
snapshot "$data/start"

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
# The webhook key the fakes' webhooks carry; serve's webhook port is any free one (it prints it);
# the ZeroMQ endpoints are files in the data folder, so that no command of the demo talks to a
# reconciler running elsewhere on this machine (the defaults are fixed loopback ports).
webhook_key=demo-webhook-key
cat >"$data/config/config.yaml" <<YAML
webhook:
  apikey: '$webhook_key'
  listen: '127.0.0.1:0'
endpoints:
  workers: 'ipc://$data/workers.ipc'
  events: 'ipc://$data/events.ipc'
  control: 'ipc://$data/control.ipc'
YAML
chmod 600 "$data/config/servers.yaml" "$data/config/config.yaml"

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
echo "demo: the fakes' own states now (each fake's items, matched by title and year, not by watchstate):"
snapshot "$data/synced"
python3 "$tools/fakes_agree.py" "$data/start" "$data/synced" || fail "after the import and the export the fakes do not agree"

# ---- Real time: a play on Plex reaches Jellyfin and Emby by webhook, with no import or export ----
# servers:test records each server's id (and the Plex owner's account): ingest matches a
# webhook's sender by them. (Offline, it warns that plex.tv did not answer: the Plex fake's owner
# is then known by its local account id, which its webhooks carry.)
step "$ws" servers:test
printf '\n\033[1m$ %s serve &\033[0m\n' "$ws"
"$ws" serve >"$data/serve.log" 2>&1 &
serve_pid=$!
pids+=("$serve_pid")
wait_for "watchstate serve's webhook address" 20 grep -q 'webhooks http' "$data/serve.log"
cat "$data/serve.log"
webhook_url=$(sed -n 's/.*webhooks \(http[^);]*\)).*/\1/p' "$data/serve.log" | head -n 1)

IFS=$'\t' read -r item label < <(python3 "$tools/fakes_changes.py" pick plex "$data/synced") ||
  fail "no movie unwatched on every fake to play"
echo
echo "demo: on Plex, someone plays \"$label\" to the end; Plex sends its webhook (media.scrobble) to $webhook_url"
curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"item\":\"$item\",\"action\":\"play\"}" \
  "http://127.0.0.1:${ports[plex]}/__fake/act" >/dev/null || fail "POST /__fake/act to the plex fake"
snapshot "$data/played"
curl -fsS -X POST -H 'Content-Type: application/json' \
  -d "{\"url\":\"$webhook_url/?type=plex&apikey=$webhook_key\",\"event\":\"media.scrobble\",\"item\":\"$item\"}" \
  "http://127.0.0.1:${ports[plex]}/__fake/webhook" >"$data/webhook.json" || fail "POST /__fake/webhook to the plex fake"
status=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])' <"$data/webhook.json")
[ "$status" = 202 ] || fail "watchstate serve answered the webhook $status, not 202: $(cat "$data/webhook.json")"
echo "demo: watchstate serve accepted it (202); waiting for the play to reach Jellyfin and Emby"
reached() {
  snapshot "$data/now"
  python3 "$tools/fakes_changes.py" reached "$label" "$data/synced" "$data/now"
}
started_us=${EPOCHREALTIME/./}
deadline=$((SECONDS + 30))
until reached; do
  if ((SECONDS >= deadline)); then
    echo "demo: not within 30 s. What changed where, since the export:"
    python3 "$tools/fakes_changes.py" table "$data/synced" "$data/now"
    tail -n 20 "$data/serve.log" >&2
    fail "the play of \"$label\" did not reach every fake"
  fi
  sleep 0.1
done
echo "demo: it did, $(((${EPOCHREALTIME/./} - started_us) / 1000)) ms after the webhook was accepted. What changed where, since the export:"
echo
snapshot "$data/after"
python3 "$tools/fakes_changes.py" table "$data/synced" "$data/after"
echo
python3 "$tools/fakes_agree.py" --min-differing 1 "$data/played" "$data/after" || fail "after the webhook the fakes do not agree"

kill -TERM "$serve_pid"
wait "$serve_pid" || fail "watchstate serve exited $? on SIGTERM (its log: $(tail -n 5 "$data/serve.log"))"
echo
echo "demo: done — the three fakes agree after the import and export, and again after a play by webhook"
echo "      (data folder $data, removed on exit)"
