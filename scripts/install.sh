#!/bin/bash
# Installs a built pokestat: the binary, shell completions (bash, zsh, fish, from
# swift-argument-parser's --generate-completion-script) and the man page.
# usage: scripts/install.sh BINARY MANPAGE PREFIX [DESTDIR]      (`make install` calls it)
#   BINARY   the pokestat executable (.build/release/pokestat)
#   MANPAGE  pokestat.1 made by swift-argument-parser's generate-manual plugin (`make man`)
set -euo pipefail
bin=${1:?binary}; man=${2:?man page}; prefix=${3:?prefix}; dest=${4:-}
root="$dest$prefix"
install -d "$root/bin" "$root/share/man/man1" "$root/share/bash-completion/completions" \
  "$root/share/zsh/site-functions" "$root/share/fish/vendor_completions.d"
install -m 755 "$bin" "$root/bin/pokestat"
install -m 644 "$man" "$root/share/man/man1/pokestat.1"
"$bin" --generate-completion-script bash > "$root/share/bash-completion/completions/pokestat"
"$bin" --generate-completion-script zsh > "$root/share/zsh/site-functions/_pokestat"
"$bin" --generate-completion-script fish > "$root/share/fish/vendor_completions.d/pokestat.fish"
echo "installed pokestat in $root"
