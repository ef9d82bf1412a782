#!/usr/bin/env bash
# The nix suite's tool checks on the given .nix files, each first shown failing on a fixture:
#   deadnix 1.3.1 (`--fail --no-underscore`): no unused binding (a fixture with three fails);
#   with Nix installed, `nix-instantiate --parse`: every file parses (a broken one fails);
#   with Nix installed, `nix flake metadata --offline --no-update-lock-file` on a copy of
#   flake.nix and flake.lock: the lock matches the flake's inputs, urls and follows, with
#   well-formed hashes (a flake.nix with an input the lock lacks fails).
# Usage (from the repository root; `cargo xtask test --only nix` runs it): lint.sh FILE...
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "$*" >&2 && exit 1; }

command -v deadnix >/dev/null || fail "deadnix is not on PATH: cargo install deadnix@1.3.1 --locked (as .ci/run does)"
echo '{ pkgs, lib, ... }: let a = 1; unused = 2; f = x: y: x; in f pkgs a' >"$dir/dead.nix"
found=$(deadnix --fail --no-underscore -o json "$dir/dead.nix" | grep -o Unused | wc -l) || true
[ "$found" = 3 ] || fail "deadnix self-test: expected lib, unused and y in the fixture, found $found"
deadnix --fail --no-underscore "$@" || fail "deadnix found unused bindings (above)"
echo "nix: deadnix: no unused bindings (self-test: the three of a fixture found)"

if ! command -v nix-instantiate >/dev/null; then
  echo "nix: SKIPPED nix-instantiate --parse and nix flake metadata: Nix is not installed (apt: nix-bin)" && exit 0
fi
echo '{ a = ; }' >"$dir/broken.nix"
if nix-instantiate --parse "$dir/broken.nix" >/dev/null 2>&1; then fail "self-test: nix-instantiate parsed a broken file"; fi
nix-instantiate --parse "$@" >/dev/null
echo "nix: every file parses with nix-instantiate --parse (self-test: a broken one fails)"

metadata() { nix --extra-experimental-features 'nix-command flakes' flake metadata --offline --no-update-lock-file "path:$1" >/dev/null; }
mkdir "$dir/flake" "$dir/unlocked" && cp flake.nix flake.lock "$dir/flake/" && cp flake.lock "$dir/unlocked/"
sed '0,/inputs = {/s//inputs = {\n    fixture.url = "github:example\/unlocked";/' flake.nix >"$dir/unlocked/flake.nix"
if metadata "$dir/unlocked" 2>/dev/null; then fail "self-test: Nix accepted a flake.lock lacking one of flake.nix's inputs"; fi
metadata "$dir/flake" || fail "flake.lock does not match flake.nix: run \`nix flake lock\`"
echo "nix: flake.lock matches flake.nix (nix flake metadata; self-test: a lock lacking an input fails)"
