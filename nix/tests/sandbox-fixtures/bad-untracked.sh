# Fixture: reads a file that git does not track (the suite writes it for the test), which
# the flake never sees. Must fail.
# tools: bash
# source: nix
set -eu
cat "$src/nix/.untracked-fixture"
touch "$out"
