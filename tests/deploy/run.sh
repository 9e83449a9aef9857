#!/usr/bin/env bash
# The deploy test (`make test-deploy`, DESIGN §9): builds the image with podman, runs the full stack
# (deploy/full/docker-compose.yml: the cli stack plus ingest) with three fetchers, two exporters
# and three fake servers (tests/deploy/docker-compose.test.yml), runs the seed's commands in it as
# the seed writes them (`podman exec watchstate console …`), checks the fakes' final states,
# restarts the stack and checks that the state survived in the volume; then a Plex webhook sent to
# ingest's published port reaches the other fakes with no import or export, and a fetcher with a
# CURVE key the reconciler does not know is refused and logged by its fingerprint. Also: both
# compose files validate, the image holds what it must (and no fake server), health checks answer,
# PUID/PGID and a bind mount.
#
# Needs root and the packages of deploy/install-deploy-deps.sh. Everything it starts is removed on
# exit (containers, volumes, networks of the project `wsdeploytest`); the images are kept: the
# base image (made once by make-base-image.sh) and the built ones, so a second run is faster.
# Untagged images (what earlier builds left) are removed. Environment: WS_DEPLOY_KEEP_IMAGES=0
# removes the built images too.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/tests/deploy"
export CONTAINERS_CONF="$here/containers.conf"
project=wsdeploytest
stack_file="$repo/deploy/full/docker-compose.yml"
# Ingest's port on the host: a free one (8081 may be taken on the machine running the test).
WS_WEBHOOK_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')
export WS_WEBHOOK_PORT
base_image=localhost/debian:bookworm
export WS_TEST_IMAGE=localhost/watchstate:deploy-test
export WS_TEST_FAKES_IMAGE=localhost/watchstate-fakes:deploy-test
WS_TEST_BUILD_IMAGE=localhost/watchstate-build:deploy-test
export WS_LOG_LEVEL=debug   # the stack's log level (compose passes it on): job lines in the logs
work=$(mktemp -d /tmp/ws-deploy-test-XXXXXX)
started=$SECONDS

log() { printf '[%4ds] test-deploy: %s\n' "$((SECONDS - started))" "$*"; }
fail() {
  log "FAILED: $*" >&2
  exit 1
}

compose() {
  podman-compose -p "$project" -f "$stack_file" -f "$here/docker-compose.test.yml" "$@" \
    >>"$work/compose.log" 2>&1 || { tail -n 40 "$work/compose.log" >&2; fail "podman-compose $*"; }
}

project_containers() { podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}'; }
service_containers() {
  podman ps -a --filter "label=io.podman.compose.project=$project" --filter "label=com.docker.compose.service=$1" \
    --format '{{.Names}}' | sort
}

cleanup() {
  local rc=$?
  set +e
  if [ $rc -ne 0 ]; then
    for c in $(project_containers); do
      echo "---- podman logs $c (last 60 lines; state: $(podman inspect -f '{{.State.Status}} exit {{.State.ExitCode}}' "$c"))" >&2
      podman logs --tail 60 "$c" 2>&1 | sed 's/^/    /' >&2
    done
  fi
  podman-compose -p "$project" -f "$stack_file" -f "$here/docker-compose.test.yml" \
    down -v >>"$work/compose.log" 2>&1
  # What podman-compose may have left (a failed start, a replica it did not know of).
  project_containers | xargs -r podman rm -f >/dev/null 2>&1
  podman volume ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman volume rm -f >/dev/null 2>&1
  podman network ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman network rm -f >/dev/null 2>&1
  podman ps -aq --filter "label=ws-deploy-test=1" | xargs -r podman rm -f -v >/dev/null 2>&1
  if [ "${WS_DEPLOY_KEEP_IMAGES:-1}" = 0 ]; then podman rmi -f "$WS_TEST_IMAGE" "$WS_TEST_FAKES_IMAGE" "$WS_TEST_BUILD_IMAGE" >/dev/null 2>&1; fi
  rm -rf "$work"
  if [ $rc -eq 0 ]; then
    log "passed in $((SECONDS - started)) s"
    echo "test-deploy: 1 passed, 0 failed"
  else
    log "failed after $((SECONDS - started)) s"
    echo "test-deploy: 0 passed, 1 failed"
  fi
}
trap cleanup EXIT

# Runs "$@" until it succeeds, at most `limit` seconds; says what it waited for when it gives up.
wait_for() {
  local what=$1 limit=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >"$work/wait.out" 2>&1; do
    if ((SECONDS >= deadline)); then
      tail -n 20 "$work/wait.out" >&2
      fail "$what: not within ${limit} s"
    fi
    sleep 0.5
  done
}

# `podman exec watchstate console ARGS…` as the seed writes it (no -t: there may be no terminal);
# prints and keeps its output in $work/out, fails the test when it fails.
console() {
  log "podman exec watchstate console $*"
  if ! podman exec watchstate console "$@" >"$work/out" 2>"$work/err"; then
    sed 's/^/    /' "$work/out" "$work/err" >&2
    fail "console $* exited non-zero"
  fi
  sed -n '1,30s/^/    /p' "$work/out"
}

# podman without the error it logs for every container with a health check on a machine without
# systemd (it cannot add the timer that would run the check; the test runs the checks itself).
podman() { command podman "$@" 2> >(grep -v 'unable to get systemd connection' >&2); }

json_field() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"; }

# ---------------------------------------------------------------------------------------------
# The test, one function: bash reads it whole before running it, so editing this file while a
# run goes on does not change that run.
main() {
  log "podman $(podman --version | awk '{print $3}'), podman-compose $(podman-compose version 2>/dev/null | awk '/podman-compose/ {print $NF}')"
  if podman container exists watchstate &&
    [ "$(podman inspect -f '{{index .Config.Labels "io.podman.compose.project"}}' watchstate)" != "$project" ]; then
    fail "a container named watchstate exists and is not this test's: the stack needs that name"
  fi
  cleanup_before=$(project_containers | wc -l)
  if [ "$cleanup_before" -gt 0 ]; then
    log "removing $cleanup_before containers an earlier run left"
    project_containers | xargs -r podman rm -f >/dev/null
    podman volume ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman volume rm -f >/dev/null
  fi

  log "both compose files pass docker-compose config"
  for stack in cli full; do
    (cd "$repo/deploy/$stack" && docker-compose config -q) || fail "deploy/$stack/docker-compose.yml does not validate"
  done

  "$here/make-base-image.sh" "$base_image"

  log "building the image (product target), then the fakes target from the same build stage"
  build() {
    local t0=$SECONDS
    if ! nice -n 10 podman build --format docker --build-arg BASE_IMAGE="$base_image" \
      --build-arg RUNTIME_IMAGE="$base_image" -f "$repo/deploy/Dockerfile" "$@" "$repo" >"$work/build.log" 2>&1; then
      tail -n 60 "$work/build.log" >&2
      fail "podman build $*"
    fi
    log "  podman build $* took $((SECONDS - t0)) s"
  }
  build --target product -t "$WS_TEST_IMAGE"
  build --target fakes -t "$WS_TEST_FAKES_IMAGE"
  # The build stage tagged too (from the cache: nothing runs), so that removing the untagged images
  # earlier runs left (2 GB a build) keeps this one: the next run with the same sources compiles
  # nothing.
  build --target build -t "$WS_TEST_BUILD_IMAGE"
  podman image prune -f >/dev/null

  log "the image: every program starts, as the non-root user, console is watchstate, no fake server"
  run_image() { podman run --rm --label ws-deploy-test=1 "$@"; }
  for program in watchstate console ws-reconciler ws-fetcher ws-exporter ws-ingest; do
    run_image "$WS_TEST_IMAGE" "$program" --help >"$work/help" 2>&1 || { cat "$work/help" >&2; fail "$program --help in the image"; }
  done
  run_image "$WS_TEST_IMAGE" console --help | grep -q 'state:import' || fail "console --help does not list state:import"
  [ "$(run_image "$WS_TEST_IMAGE" id -u)" = 1000 ] || fail "the image does not run as uid 1000"
  run_image "$WS_TEST_IMAGE" sh -c '! command -v ws-fakeserver' >/dev/null || fail "ws-fakeserver is in the product image"
  [ "$(podman image inspect -f '{{.Config.Env}}' "$WS_TEST_IMAGE" | grep -o 'WS_DATA_PATH=[^ ]*' | tr -d ']')" = WS_DATA_PATH=/config ] ||
    fail "WS_DATA_PATH is not /config in the image"
  podman image inspect -f '{{.Config.Healthcheck}}' "$WS_TEST_IMAGE" | grep -q 'watchstate status' ||
    fail "the image has no HEALTHCHECK running watchstate status"
  log "  product image $(podman image inspect -f '{{.Size}}' "$WS_TEST_IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"

  log "the image alone runs watchstate serve, and its own HEALTHCHECK says healthy"
  podman run -d --name wsdeploytest-serve --label ws-deploy-test=1 "$WS_TEST_IMAGE" >/dev/null
  wait_for "the image's health check of watchstate serve" 30 podman healthcheck run wsdeploytest-serve
  podman rm -f -v wsdeploytest-serve >/dev/null

  log "PUID/PGID and bind mounts"
  bind=$work/bind
  mkdir -p "$bind/own" "$bind/other" "$bind/root"
  chown 1234:1234 "$bind/own"
  chown 4321:4321 "$bind/other"
  run_image --user 1234:1234 -v "$bind/own:/config" "$WS_TEST_IMAGE" console config:dump servers >/dev/null ||
    fail "console config:dump servers as PUID 1234 in a folder it owns"
  [ "$(stat -c %u:%g "$bind/own/config/servers.yaml")" = 1234:1234 ] || fail "servers.yaml is not owned by 1234:1234"
  if run_image --user 1234:1234 -v "$bind/other:/config" "$WS_TEST_IMAGE" ws-reconciler >"$work/refused" 2>&1; then
    fail "ws-reconciler started in a data folder its uid cannot write"
  fi
  grep -q '/config is not writable by uid 1234' "$work/refused" || { cat "$work/refused" >&2; fail "the permission error does not name the folder and the uid"; }
  run_image --user 0 -e PUID=1234 -e PGID=1234 -v "$bind/root:/config" "$WS_TEST_IMAGE" console config:dump servers >/dev/null ||
    fail "started as root with PUID/PGID in a root-owned folder"
  [ "$(stat -c %u:%g "$bind/root" "$bind/root/config/servers.yaml" | sort -u)" = 1234:1234 ] ||
    fail "started as root with PUID=1234: the folder and servers.yaml are not 1234's"

  declare -A fake_port
  workers_ready() {
    podman exec watchstate console status --output json >"$work/status.json" || return 1
    [ "$(json_field status.fetchers <"$work/status.json")" = 3 ] && [ "$(json_field status.exporters <"$work/status.json")" = 2 ]
  }
  # Starts the stack and waits until the reconciler is healthy, every fake answers on its published
  # port (a new one at each start) and the reconciler knows every worker.
  stack_up() {  # [SERVICE…]: only these (the fakes keep running)
    compose up -d --no-build "$@"
    wait_for "the reconciler's health check" 60 podman healthcheck run watchstate
    local fake container inner
    for fake in plex jellyfin emby; do
      container=$(service_containers "$fake")
      inner=$([ $fake = plex ] && echo 32400 || echo 8096)
      fake_port[$fake]=$(podman port "$container" "$inner" | head -n 1 | sed 's/.*://')
      [ -n "${fake_port[$fake]}" ] || fail "$fake: no published port"
      wait_for "$fake answering on 127.0.0.1:${fake_port[$fake]}" 30 curl -fsS "http://127.0.0.1:${fake_port[$fake]}/__fake/info"
    done
    wait_for "3 fetchers and 2 exporters known to the reconciler" 60 workers_ready
  }

  log "starting the full stack: reconciler, ingest (webhooks on the host's port $WS_WEBHOOK_PORT), 3 fetchers, 2 exporters, 3 fake servers"
  stack_up
  for c in $(service_containers fetcher) $(service_containers exporter); do
    podman healthcheck run "$c" >/dev/null || fail "$c: health check (the reconciler answers from there) failed"
  done

  snapshot() {  # folder: every fake's /__fake/items
    mkdir -p "$1"
    for fake in plex jellyfin emby; do
      curl -fsS "http://127.0.0.1:${fake_port[$fake]}/__fake/items" >"$1/$fake.json" || fail "GET /__fake/items from $fake"
    done
  }
  snapshot "$work/before"

  log "the seed's commands"
  console config:dump servers
  podman exec watchstate test -s /config/config/servers.yaml || fail "config:dump servers wrote no /config/config/servers.yaml"
  podman exec -i watchstate sh -c 'cat >/config/config/servers.yaml' <"$here/servers.yaml"
  console servers:list
  console config:generate
  grep -Eq '[0-9a-f]{64}' "$work/out" || fail "config:generate printed no key"
  apikey=$(grep -Eo '[0-9a-f]{64}' "$work/out" | head -n 1)
  [ "$(podman exec watchstate stat -c %u:%a /config/config/config.yaml)" = 1000:600 ] ||
    fail "config.yaml is not the image user's with mode 600"

  console state:import
  podman logs watchstate 2>&1 | grep -q 'control: import requested' ||
    fail "state:import did not go to the running reconciler (no 'control: import requested' in its log)"
  fetched_by=0
  for c in $(service_containers fetcher); do
    if podman logs "$c" 2>&1 | grep -q 'job .* finished'; then fetched_by=$((fetched_by + 1)); fi
  done
  log "  $fetched_by of 3 fetchers did import jobs"
  ((fetched_by >= 1)) || fail "no fetcher finished a job"
  console state:export
  console db:stats --output json
  records=$(json_field records <"$work/out")
  watched=$(json_field watched <"$work/out")
  ((records > 100)) || fail "only $records records after the import"
  snapshot "$work/after"
  python3 "$repo/tests/tools/fakes_agree.py" "$work/before" "$work/after" || fail "the fakes do not agree after import and export"

  console state:import -vvvrm   # the seed's own line: -r (global) puts the log lines on stdout

  console db:stats --output json
  cp "$work/out" "$work/stats-before.json"

  log "restarting the watchstate services (new containers, the same volume; the fakes keep their state)"
  # podman-compose down stops with a 1 s timeout: stop first as docker compose does (SIGTERM, 10 s),
  # and check that every program ends cleanly on it as PID 1 of its container.
  product=$(for s in watchstate ingest fetcher exporter; do service_containers $s; done)
  podman stop -t 10 $product >/dev/null
  for c in $product; do
    code=$(podman inspect -f '{{.State.ExitCode}}' "$c")
    [ "$code" = 0 ] || fail "$c exited $code on SIGTERM"
  done
  compose down watchstate ingest fetcher exporter
  [ -z "$(for s in watchstate ingest fetcher exporter; do service_containers $s; done)" ] ||
    fail "watchstate containers left after podman-compose down"
  stack_up watchstate ingest fetcher exporter
  console db:stats --output json
  # Records, watched, and each server's last import and export: what only the kept state knows.
  python3 -c 'import json, sys
before, after = (json.load(open(f)) for f in sys.argv[1:])
keep = lambda s: {k: s[k] for k in ("exists", "records", "watched", "servers")}
if keep(before) != keep(after):
    sys.exit(f"db:stats before the restart {keep(before)}\n          after it {keep(after)}")
records, watched, servers = after["records"], after["watched"], sorted(after["servers"])
print(f"    kept: {records} records, {watched} watched, the last syncs of {servers}")' \
    "$work/stats-before.json" "$work/out" || fail "the state did not survive the restart"

  log "after the restart, a play on Plex reaches Jellyfin and Emby by webhook, through the published port"
  # Ingest started again with the key config:generate made; its health check and the published port.
  wait_for "ingest's /healthz on the host's port $WS_WEBHOOK_PORT" 60 curl -fsS "http://127.0.0.1:$WS_WEBHOOK_PORT/healthz"
  podman healthcheck run "$(service_containers ingest)" >/dev/null || fail "ingest's health check failed"
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data '{}' "http://127.0.0.1:$WS_WEBHOOK_PORT/?type=plex&apikey=wrong")
  [ "$code" = 401 ] || fail "a webhook with a wrong key got $code, not 401"
  console servers:test   # records each server's id (and Plex's owner account): ingest matches senders by them
  item=$(python3 -c 'import json, sys; print(next(i["id"] for i in json.load(open(sys.argv[1]))
                                                 if i["type"] == "movie" and i["guids"] and not i["watched"]))' \
    "$work/after/plex.json")
  curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"item\":\"$item\",\"action\":\"play\"}" \
    "http://127.0.0.1:${fake_port[plex]}/__fake/act" >/dev/null || fail "POST /__fake/act to plex"
  snapshot "$work/before3"
  # The Plex fake posts its real webhook (multipart, media.scrobble) to this host's published port,
  # as a Plex server elsewhere on the network would.
  gateway=$(podman network inspect "${project}_default" -f '{{range .Subnets}}{{.Gateway}} {{end}}' 2>/dev/null | awk '{print $1}')
  sent=""
  for host in host.containers.internal $gateway; do
    curl -sS -X POST -H 'Content-Type: application/json' \
      -d "{\"url\":\"http://$host:$WS_WEBHOOK_PORT/?type=plex&apikey=$apikey\",\"event\":\"media.scrobble\",\"item\":\"$item\"}" \
      "http://127.0.0.1:${fake_port[plex]}/__fake/webhook" >"$work/webhook.json" 2>&1 || continue
    if [ "$(json_field status <"$work/webhook.json" 2>/dev/null)" = 202 ]; then sent=$host; break; fi
  done
  [ -n "$sent" ] || { cat "$work/webhook.json" >&2; fail "the Plex fake's webhook to the published port was not accepted (202)"; }
  log "  the webhook went to http://$sent:$WS_WEBHOOK_PORT and was accepted (202)"
  played_everywhere() {
    local fake
    for fake in jellyfin emby; do
      curl -fsS "http://127.0.0.1:${fake_port[$fake]}/__fake/items" >"$work/$fake-now.json" || return 1
    done
    python3 - "$work/after/plex.json" "$item" "$work/jellyfin-now.json" "$work/emby-now.json" <<'PY'
import json, sys
plex = next(i for i in json.load(open(sys.argv[1])) if i["id"] == sys.argv[2])
key = lambda i: (i["type"], i["title"], i.get("year"))
for path in sys.argv[3:]:
    same = [i for i in json.load(open(path)) if key(i) == key(plex)]
    if len(same) != 1 or not same[0]["watched"]:
        sys.exit(1)
PY
  }
  # No import or export is run: the webhook alone must carry the play (within the deadline).
  wait_for "the webhook's play on Jellyfin and Emby" 30 played_everywhere
  snapshot "$work/after3"
  python3 "$repo/tests/tools/fakes_agree.py" --min-differing 1 "$work/before3" "$work/after3" ||
    fail "after the webhook the fakes do not agree"

  log "a fetcher with a CURVE key the reconciler does not know is refused, and logged by its fingerprint"
  # Another installation's keys, with this stack's reconciler.pub: the stranger knows whom it calls,
  # the reconciler does not know the stranger.
  stranger=$work/stranger
  mkdir -p "$stranger"
  chown 1000:1000 "$stranger"
  run_image -v "$stranger:/config" "$WS_TEST_IMAGE" console config:generate --keys-only >"$work/stranger.out" 2>&1 ||
    { cat "$work/stranger.out" >&2; fail "config:generate --keys-only for the stranger"; }
  fingerprint=$(sed -n 's/.*CURVE keys of fetcher (fingerprint \([0-9a-f]*\)).*/\1/p' "$work/stranger.out")
  [ -n "$fingerprint" ] || { cat "$work/stranger.out" >&2; fail "config:generate printed no fetcher fingerprint"; }
  podman exec watchstate cat /config/config/keys/reconciler.pub >"$stranger/config/keys/reconciler.pub"
  podman exec watchstate cat /config/config/servers.yaml >"$stranger/config/servers.yaml"
  chown -R 1000:1000 "$stranger"
  chmod 600 "$stranger/config/servers.yaml"
  podman run -d --name wsdeploytest-stranger --label ws-deploy-test=1 --network "${project}_default" \
    -v "$stranger:/config" -e WS_ENDPOINTS_WORKERS=tcp://watchstate:5560 "$WS_TEST_IMAGE" ws-fetcher >/dev/null
  wait_for "the reconciler's refusal of fingerprint $fingerprint" 30 \
    sh -c "podman logs watchstate 2>&1 | grep -q 'refused a client with key fingerprint $fingerprint'"
  podman logs watchstate 2>&1 | grep "refused a client with key fingerprint $fingerprint" | head -n 1 | sed 's/^/    /'
  workers_ready || fail "the stranger changed the workers the reconciler knows"
  podman rm -f wsdeploytest-stranger >/dev/null
}

main "$@"; exit  # on the same line: bash never reads past it, even when the file changed
