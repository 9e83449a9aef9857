#!/usr/bin/env bash
# Makes the debian:bookworm base image locally (there is no image registry to pull it from on
# these machines, only Debian's package mirrors): debootstrap --variant=minbase, then
# `podman import`. Skips all of it when the image exists already.
# Usage: make-base-image.sh [IMAGE]   (default localhost/debian:bookworm)
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), DEBIAN_SECURITY_MIRROR.
set -euo pipefail
image=${1:-localhost/debian:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

if podman image exists "$image"; then
  echo "make-base-image: $image exists"
  exit 0
fi

root=$(mktemp -d /var/tmp/ws-bookworm-XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "make-base-image: debootstrap --variant=minbase bookworm from $mirror"
if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1; then
  tail -n 30 "$root.log" >&2
  echo "make-base-image: debootstrap failed (log above)" >&2
  rm -f "$root.log"
  exit 1
fi
rm -f "$root.log"
# As Debian's own image has it: the release, its updates and its security updates.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | podman import --quiet --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
echo "make-base-image: made $image"
