#!/bin/bash
# One-time machine setup for the QEMU lab (scripts/lab/README.md): lets apt *download* Debian
# kernels and arm64 userland from bullseye, trixie and sid without ever installing from them.
#
#   scripts/lab/setup-suites.sh          creates what is missing, then apt-get update (idempotent)
#   scripts/lab/setup-suites.sh --remove removes the files this script made (and arm64, when
#                                        no arm64 package is installed), then apt-get update
#
# It writes:
#   /etc/apt/sources.list.d/lab-suites.sources  Types: deb, the machine's Debian URI, Suites:
#                                               bullseye trixie sid, Components: main, Signed-By
#                                               the Debian archive keyring
#   /etc/apt/preferences.d/lab-suites           those suites pinned at priority 50 (never chosen
#                                               over bookworm for an install or upgrade)
# and runs `dpkg --add-architecture arm64` (for `apt-get download pkg:arm64`).
# A file already there with other content is left alone and reported (exit 1).
set -euo pipefail
SOURCES=/etc/apt/sources.list.d/lab-suites.sources
PREFS=/etc/apt/preferences.d/lab-suites
SUITES=${SUITES:-bullseye trixie sid}
SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
export DEBIAN_FRONTEND=noninteractive

if [ "${1:-}" = --remove ]; then
  $SUDO rm -f "$SOURCES" "$PREFS"
  if dpkg --print-foreign-architectures | grep -qx arm64 && ! dpkg -l | awk '$1=="ii"{print $2}' | grep -q ':arm64$'; then
    $SUDO dpkg --remove-architecture arm64
  fi
  $SUDO apt-get update -q >/dev/null
  echo "lab suites removed"; exit 0
fi

# The URI the machine's own Debian sources use (deb822 or one-line format), else deb.debian.org.
uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -m1 '/debian/*$' || true)
[ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
  | awk '{for(i=2;i<=NF;i++) if($i ~ /^(https?|file):/){print $i; exit}}' | grep -m1 '/debian/*$' || true)
uri=${uri:-http://deb.debian.org/debian}

want_sources="Types: deb
URIs: $uri
Suites: $SUITES
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
want_prefs=$(first=1; for s in $SUITES; do [ $first = 1 ] || echo; first=0
  printf 'Package: *\nPin: release n=%s\nPin-Priority: 50\n' "$s"; done)

changed=0; status=0
put() {  # put FILE CONTENT: create FILE, or check that it already says CONTENT
  if [ -f "$1" ]; then
    if [ "$(cat "$1")" != "$2" ]; then
      # the same suites and URI with other spacing still count as set up
      if [ "$(tr -s ' \n' <"$1")" != "$(printf '%s' "$2" | tr -s ' \n')" ]; then
        echo "$1 exists with other content; left alone (remove it or edit it by hand)" >&2; status=1
      fi
    fi
  else
    printf '%s\n' "$2" | $SUDO tee "$1" >/dev/null; echo "wrote $1"; changed=1
  fi
}
put "$SOURCES" "$want_sources"
put "$PREFS" "$want_prefs"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64; echo "added architecture arm64"; changed=1
fi
# apt-get update when something changed or the lists of a suite are missing
for s in $SUITES; do ls /var/lib/apt/lists/*_dists_${s}_InRelease >/dev/null 2>&1 || changed=1; done
ls /var/lib/apt/lists/*binary-arm64_Packages* >/dev/null 2>&1 || changed=1
if [ $changed = 1 ]; then
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null && echo "apt-get update done"
else
  echo "lab suites already set up ($SOURCES, $PREFS, arm64)"
fi
exit $status
