#!/bin/bash
# The install test `make test` runs (it cannot run inside `swift test`, which holds the build
# lock that `make install`'s release build and man-page plugin need): installs into a temporary
# PREFIX through `make install`, then checks that every file is there, that the installed binary
# runs, that each completion script is valid for its shell when that shell is installed, and
# that the man page names every subcommand `pokestat --help` lists.
# usage: scripts/check-install.sh        (from the repository root)
set -euo pipefail
prefix=$(mktemp -d /tmp/pokestat-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
make --no-print-directory install PREFIX="$prefix" > "$prefix.log" 2>&1 || { cat "$prefix.log"; rm -f "$prefix.log"; exit 1; }
rm -f "$prefix.log"
fail=0
for f in bin/pokestat share/man/man1/pokestat.1 share/bash-completion/completions/pokestat \
         share/zsh/site-functions/_pokestat share/fish/vendor_completions.d/pokestat.fish; do
  [ -s "$prefix/$f" ] || { echo "check-install: missing or empty: $f"; fail=1; }
done
"$prefix/bin/pokestat" --version > /dev/null || { echo "check-install: installed binary does not run"; fail=1; }
bash -n "$prefix/share/bash-completion/completions/pokestat" || { echo "check-install: bash completion does not parse"; fail=1; }
grep -q "complete .*pokestat" "$prefix/share/bash-completion/completions/pokestat" || { echo "check-install: bash completion registers nothing"; fail=1; }
if command -v zsh > /dev/null; then zsh -n "$prefix/share/zsh/site-functions/_pokestat" || fail=1; fi
if command -v fish > /dev/null; then fish -n "$prefix/share/fish/vendor_completions.d/pokestat.fish" || fail=1; fi
grep -q "^#compdef pokestat" "$prefix/share/zsh/site-functions/_pokestat" || { echo "check-install: zsh completion lacks #compdef"; fail=1; }
grep -Eq "^complete -c '?pokestat'?" "$prefix/share/fish/vendor_completions.d/pokestat.fish" || { echo "check-install: fish completion registers nothing"; fail=1; }
# Subcommands from the parser's own help, not from the man page generator.
subcommands=$("$prefix/bin/pokestat" --help | awk '/^SUBCOMMANDS:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ -n "$subcommands" ] || { echo "check-install: --help lists no subcommands"; fail=1; }
man="$prefix/share/man/man1/pokestat.1"
grep -q '^\.Dt POKESTAT 1\|^\.TH' "$man" || { echo "check-install: man page has no title macro"; fail=1; }
for sub in $subcommands; do
  # generate-manual writes each subcommand as a list item: `.It Em <name>`.
  grep -Eq "^\.It Em $sub\$|^\.It Em $sub " "$man" || { echo "check-install: man page does not describe subcommand $sub"; fail=1; }
done
if command -v man > /dev/null; then MANWIDTH=100 man -l "$man" > /dev/null 2>&1 || { echo "check-install: man cannot render the page"; fail=1; }; fi
[ $fail -eq 0 ] && echo "check-install: ok ($(echo $subcommands | wc -w) subcommands in the man page)"
exit $fail
