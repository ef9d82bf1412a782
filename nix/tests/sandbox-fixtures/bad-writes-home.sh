# Fixture: writes to $HOME, which does not exist in the Nix sandbox. Must fail.
# tools: bash
set -eu
mkdir -p "$HOME/.cache"
touch "$out"
