# Fixture: follows every rule of the sandbox. Must pass.
# tools: bash
# source: nix
set -eu
test -f "$src/nix/checks.nix"
echo ok >scratch
cp scratch "$out"
