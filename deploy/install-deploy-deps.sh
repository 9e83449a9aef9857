#!/usr/bin/env bash
# Installs the Debian (bookworm) packages that `make test-deploy` needs to build the image and run
# the compose stacks with podman: podman itself and what it runs containers with (conmon, and runc:
# crun refuses the hybrid cgroup hierarchy of these machines, see tests/deploy/containers.conf),
# netavark + aardvark-dns (the compose network, with service names resolving between containers),
# iptables (netavark's firewall backend, which also publishes ports: running as root, podman needs
# neither slirp4netns nor pasta), podman-compose (runs the compose files),
# docker-compose (v1: validates the compose files as Docker reads them), debootstrap (makes the
# debian:bookworm base image locally: there is no registry to pull it from), curl and python3 (the
# test reads the fake servers' state).
# Not needed to build or test the program itself: that is deploy/install-deps.sh.
# Idempotent (install-deps.sh does the installing): apt-get runs only when something is missing.
set -euo pipefail

exec "$(dirname "$0")/install-deps.sh" \
  podman runc conmon \
  netavark aardvark-dns iptables \
  podman-compose docker-compose \
  debootstrap \
  curl python3
