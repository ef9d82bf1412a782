#!/usr/bin/env bash
# Runs every flake check script (nix/checks/*.sh) outside Nix through nix/tests/sandbox.sh,
# after showing the harness strict: the fixtures of nix/tests/sandbox-fixtures/ named bad-*
# must fail, header-* must be refused, good.sh must pass. Also: every script is run by a
# derivation through the one runCommand helper of nix/checks.nix, and passes shellcheck.
# What a check's derivation provides comes the local way: fixture images for the images Nix
# builds, and for nixpkgs' Terraform plugins the provider mirror named by $1 (else skipped).
# Usage (from the repository root; `cargo xtask test --only nix` runs it): run-checks.sh [MIRROR]
set -euo pipefail
# In a Nix build (checks.nix-lint) each script is a check of its own (`nix develop` also sets
# NIX_BUILD_TOP, and IN_NIX_SHELL); the flake, and so this harness, sees git-tracked files only.
if [ -n "${NIX_BUILD_TOP:-}" ] && [ -z "${IN_NIX_SHELL:-}" ] || ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "nix: SKIPPED the check scripts: inside a Nix build, or not in a git checkout" && exit 0
fi
echo "nix: the flake checks' scripts (nix/checks/*.sh) in a sandbox-like directory"
mirror=${1:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir" nix/.untracked-fixture' EXIT
fail() { echo "$*" >&2 && exit 1; }

echo "not tracked by git" >nix/.untracked-fixture
for f in nix/tests/sandbox-fixtures/*.sh; do
  case ${f##*/} in bad-*) want=1 ;; header-*) want=2 ;; *) want=0 ;; esac
  got=0 && bash nix/tests/sandbox.sh "$f" 2>"$dir/err" || got=$?
  if [ "$got" = 77 ]; then echo "  self-test: ${f##*/} skipped: $(cat "$dir/err")" && continue; fi
  [ "$got" = "$want" ] || fail "sandbox self-test: $f exited $got, expected $want: $(cat "$dir/err")"
done
rm nix/.untracked-fixture
echo "  self-test: the bad-* fixtures fail, the header-* ones are refused, good.sh passes"

wiring() { # $1: a directory holding nix/
  for s in "$1"/nix/checks/*.sh; do
    grep -q "checks/${s##*/}" "$1"/nix/*.nix || { echo "$s is run by no derivation under nix/" && return 1; }
  done
  [ "$(grep -o runCommand "$1/nix/checks.nix" | wc -l)" = 1 ] || { echo "nix/checks.nix must call runCommand once: every check script lives in nix/checks/" && return 1; }
}
mkdir -p "$dir/wiring/nix/checks" && touch "$dir/wiring/nix/checks/unused.sh"
# shellcheck disable=SC2016 # Nix text
echo 'runCommand "a" {} "bash ${./checks/unused.sh}"; runCommand "b" {} "true"' >"$dir/wiring/nix/checks.nix"
if wiring "$dir/wiring" >/dev/null; then fail "wiring self-test: an inline check passed"; fi
echo 'runCommand' >"$dir/wiring/nix/checks.nix"
if wiring "$dir/wiring" >/dev/null; then fail "wiring self-test: a script no derivation runs passed"; fi
wiring . >&2 || exit 1

if command -v shellcheck >/dev/null; then # as nixpkgs' writeShellApplication does
  shellcheck -s bash -x nix/checks/*.sh nix/tests/*.sh && echo "  shellcheck: nix/checks and nix/tests clean"
else echo "  SKIPPED shellcheck: not on PATH here"; fi

python3 nix/tests/fake_images.py "$dir/images" && cp nix/image-scan.py "$dir/images/"
mkdir "$dir/plugin-cache" && chmod -R a+rwX "$dir"
printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$mirror" >"$dir/terraform.tfrc"
failed=()
for s in nix/checks/*.sh; do
  name=$(basename "$s" .sh) && args=("$s") && start=$SECONDS
  case $name in
    test-services) args=(--driver nix/tests/test-services-driver.sh "$s") ;;
    images-no-shell) args+=("scanner=$dir/images/image-scan.py" "apiImage=$dir/images/stream-api"
      "webImage=$dir/images/stream-web" "shellControlImage=$dir/images/stream-shell-control") ;;
    terraform) [ -n "$mirror" ] || { echo "  SKIPPED terraform: no Terraform provider mirror here" && continue; }
      args+=("TF_CLI_CONFIG_FILE=$dir/terraform.tfrc" "TF_PLUGIN_CACHE_DIR=$dir/plugin-cache") ;;
  esac
  got=0 && bash nix/tests/sandbox.sh "${args[@]}" 2>"$dir/err" || got=$?
  case $got in
    0) echo "  $name: ok ($((SECONDS - start)) s) $(cat "$dir/err")" ;;
    77) echo "  SKIPPED $name: $(cat "$dir/err")" ;;
    *) echo "  $name: FAILED $(cat "$dir/err")" && failed+=("$name") ;;
  esac
done
if ((${#failed[@]})); then fail "flake check scripts that fail in a sandbox-like directory: ${failed[*]}"; fi
