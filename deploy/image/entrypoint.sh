#!/bin/sh
# The image's entrypoint: makes sure the user the container runs as can use the data folder
# ($WS_DATA_PATH, /config), then runs the command (exec: it becomes PID 1 and gets the signals).
#
# - As a non-root user (the image's `watchstate`, uid 1000, or compose's `user: PUID:PGID`): a
#   folder or file it cannot use is an error that names it, its owner and this uid, and says what
#   to change. The data folder mounted read-only (workers only read servers.yaml and config.yaml)
#   needs only to be readable.
# - As root (`--user 0`): a data folder still owned by root (a bind mount Docker created) is given
#   to PUID:PGID (default 1000:1000), then the command runs as PUID:PGID, never as root.
# - CURVE keys (docs/protocol.md "Security"): the reconciler's container makes the missing ones in
#   the shared volume (`watchstate config:generate --keys-only`, which never overwrites a key);
#   a worker's or ingest's container whose WS_ENDPOINTS_* needs CURVE waits up to WS_KEYS_WAIT
#   seconds (default 60) for its own key and the reconciler's public key to appear there, since
#   compose starts them side by side.
set -eu
data="${WS_DATA_PATH:-/config}"
uid=$(id -u)
gid=$(id -g)

if [ "$uid" = 0 ]; then
  puid="${PUID:-1000}"
  pgid="${PGID:-1000}"
  if [ "$puid" = 0 ]; then
    echo "watchstate: refusing to run as root (PUID=0): choose the uid that owns the data folder" >&2
    exit 1
  fi
  mkdir -p "$data"
  if [ "$(stat -c %u "$data")" = 0 ]; then chown "$puid:$pgid" "$data"; fi
  exec setpriv --reuid="$puid" --regid="$pgid" --clear-groups -- "$0" "$@"
fi

read_only=false
if awk -v d="$data" '$2 == d { split($4, o, ","); if (o[1] == "ro") found = 1 } END { exit !found }' /proc/mounts; then
  read_only=true
fi

refuse() {  # path, what it needs
  owner=$(stat -c '%u:%g' "$1")
  echo "watchstate: $1 is not $2 by uid $uid (gid $gid): it belongs to uid:gid $owner." >&2
  echo "watchstate: run the container as its owner (PUID=${owner%%:*} PGID=${owner##*:} in the compose" \
       "files), or give it to this user on the host: chown -R $uid:$gid <the folder mounted on $data>" >&2
  exit 1
}

[ -d "$data" ] || { echo "watchstate: the data folder $data does not exist" >&2; exit 1; }
[ -r "$data" ] && [ -x "$data" ] || refuse "$data" readable
if ! $read_only; then
  [ -w "$data" ] || refuse "$data" writable
fi
for path in "$data"/config "$data"/config/* "$data"/db "$data"/db/* "$data"/spool "$data"/logs; do
  [ -e "$path" ] || continue
  [ -r "$path" ] || refuse "$path" readable
  if ! $read_only; then
    [ -w "$path" ] || refuse "$path" writable
  fi
done

keys="$data/config/keys"
needs_curve() {  # endpoint: the rule of common/include/ws/curve_keys.h, for the WS_ENDPOINTS_* value
  case "$1" in
    tcp://127.*|tcp://localhost:*|tcp://\[::1\]:*|tcp://lo:*) return 1 ;;
    tcp://*) return 0 ;;
    *) return 1 ;;
  esac
}
wait_for_keys() {  # role, endpoint
  needs_curve "${2:-}" || return 0
  waited=0
  while [ ! -r "$keys/$1.key" ] || [ ! -r "$keys/reconciler.pub" ]; do
    if [ "$waited" -ge "${WS_KEYS_WAIT:-60}" ]; then
      echo "watchstate: no $keys/$1.key and reconciler.pub after ${waited}s; starting anyway" >&2
      return 0
    fi
    sleep 1
    waited=$((waited + 1))
  done
}
case "$(basename "${1:-}")" in
  # Not fatal: the reconciler itself then names the key file it misses.
  ws-reconciler) if ! $read_only; then watchstate config:generate --keys-only >&2 || true; fi ;;
  ws-fetcher) wait_for_keys fetcher "${WS_ENDPOINTS_WORKERS:-}" ;;
  ws-exporter) wait_for_keys exporter "${WS_ENDPOINTS_WORKERS:-}" ;;
  ws-ingest) wait_for_keys ingest "${WS_ENDPOINTS_EVENTS:-}" ;;
esac

exec "$@"
