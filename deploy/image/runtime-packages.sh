#!/bin/sh
# Prints, one per line, the Debian packages that hold the shared libraries the given programs
# load (ldd + dpkg -S). The image's runtime stage installs exactly these, so a library a program
# starts to need is in the image without anyone keeping a list. Fails, naming the program and
# the library, when a library is missing or belongs to no package.
# Usage: runtime-packages.sh PROGRAM...
set -eu
libs=$(mktemp)
trap 'rm -f "$libs"' EXIT
for program in "$@"; do
  if ldd "$program" | grep -q 'not found'; then
    echo "runtime-packages: $program: $(ldd "$program" | grep 'not found' | tr -s ' \t' ' ')" >&2
    exit 1
  fi
  ldd "$program" | awk -v p="$program" '$2 == "=>" && $3 ~ /^\// { print p " " $3 }' >>"$libs"
done
sort -u -k2,2 "$libs" | while read -r program lib; do
  # With merged /usr a library is found under /lib but packaged under /usr/lib, or the other way.
  owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null ||
          dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null || true)
  if [ -z "$owner" ]; then
    echo "runtime-packages: $program loads $lib, which no Debian package holds" >&2
    exit 1
  fi
  echo "$owner" | head -n 1 | cut -d: -f1
done | sort -u
