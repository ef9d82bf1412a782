#!/usr/bin/env bash
# Evaluates the flake with the real nixpkgs lib ($CONDUIT_NIXPKGS_LIB) and stand-ins
# (nix/tests/eval.nix) in a copy of what git sees: as it is, and where there is no
# web/Cargo.toml yet, again with a placeholder one so the web outputs are evaluated too. Then
# a lock file naming another hashicorp/aws release than the flake builds must fail evaluation.
# Usage (from the repository root; `cargo xtask test --only nix` runs it): nix/tests/eval.sh
set -euo pipefail
if [ ! -f "${CONDUIT_NIXPKGS_LIB:-}/lib/default.nix" ] || ! command -v nix-instantiate >/dev/null; then
  echo "nix: SKIPPED evaluation with stand-ins: needs Nix and CONDUIT_NIXPKGS_LIB, a directory holding nixpkgs' lib/" && exit 0
fi
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  if [ -f "$f" ]; then cp --parents "$f" "$copy"; fi
done
evaluate() { nix-instantiate --eval --strict --json nix/tests/eval.nix --arg root "$copy"; }
summary=$(evaluate) && echo "nix: evaluated with stand-ins: $summary"
if [ ! -f "$copy/web/Cargo.toml" ]; then
  mkdir -p "$copy/web" && printf '[package]\nname = "conduit-web"\nversion = "0.0.0"\n' >"$copy/web/Cargo.toml"
  summary=$(evaluate) && echo "nix: evaluated with a placeholder web/Cargo.toml: $summary"
fi
lock=$copy/terraform/envs/staging/.terraform.lock.hcl
sed -i '/hashicorp\/aws"/,/}/ s/^  version *=.*/  version = "0.0.1"/' "$lock"
if evaluate >/dev/null 2>"$copy/err" || ! grep -q 'locks hashicorp/aws 0.0.1' "$copy/err"; then
  echo "nix/terraform.nix accepted a lock file naming hashicorp/aws 0.0.1: $(cat "$copy/err")" >&2 && exit 1
fi
echo "nix: control: a lock file naming another hashicorp/aws release fails evaluation"
