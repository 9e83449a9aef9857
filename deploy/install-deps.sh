#!/usr/bin/env bash
# Installs every Debian (bookworm) package that building and testing watchstate needs, or, given
# package names, those instead (deploy/install-deploy-deps.sh passes the deploy test's; `make fuzz`
# asks for clang this way: `make test` never needs it). curl and python3: the demo (deploy/demo.sh)
# and its test read the fake servers' states with them.
# Idempotent: packages already present are skipped by apt; apt-get update runs only when
# something is missing. Uses sudo when not root.
set -euo pipefail

packages=("$@")
[ $# -gt 0 ] || packages=(
  cmake ninja-build g++ pkg-config make
  libzmq3-dev cppzmq-dev libsodium-dev
  libcurl4-openssl-dev
  nlohmann-json3-dev
  libsimdjson-dev
  libyaml-cpp-dev
  liblmdb-dev liblmdb++-dev
  libspdlog-dev
  catch2
  libcpp-httplib-dev
  libcli11-dev
  zlib1g-dev
  time
  curl
  python3
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
