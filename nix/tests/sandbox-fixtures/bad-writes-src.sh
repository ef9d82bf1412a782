# Fixture: writes into $src, which is read-only in the Nix sandbox. Must fail.
# tools: bash
# source: nix
set -eu
touch "$src/nix/new"
touch "$out"
