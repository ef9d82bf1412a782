# Fixture: relies on the caller's environment, which the Nix sandbox does not pass. Must fail.
# tools: bash
set -eu
test -n "${CARGO:-}${CARGO_HOME:-}${RUSTUP_TOOLCHAIN:-}${USER:-}"
touch "$out"
