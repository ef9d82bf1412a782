#!/usr/bin/env bash
# Runs one flake check script (nix/checks/<name>.sh) outside Nix, in a directory laid out like
# the Nix build sandbox, so that a script that could never pass there fails here first:
#   $src  a read-only copy of the git-tracked files of the directories on its `# source:` line
#         (a flake in a git repository sees tracked files only);
#   the working directory (also TMPDIR and NIX_BUILD_TOP) is fresh, empty and writable;
#   $out  does not exist yet and must exist afterwards;
#   HOME=/homeless-shelter, which does not exist; the environment is otherwise empty;
#   as root: the unprivileged user 65534 (like Nix's build users, so the read-only source
#   really is read-only), in a network namespace with loopback only.
# The tools on the `# tools:` line (`python3:<module>` is a Python module) come from PATH and
# Debian's PostgreSQL directory (the flake puts nixpkgs' postgresql_15 on PATH); where one is
# missing, or the script says `# needs: netns` and there is none, it is skipped (exit 77).
# `cargo xtask test --only nix` runs it on every check script and on the rule-breaking
# fixtures beside this file, which must fail.
#
# Usage (from the repository root): nix/tests/sandbox.sh [--driver FILE] SCRIPT [NAME=VALUE]...
#   NAME=VALUE are added to the environment, as the check's derivation adds them; with a
#   driver, `bash FILE SCRIPT` runs instead of `bash SCRIPT` (for scripts that are sourced).
# Exit: 0 passed, 1 failed, 2 bad header, 77 skipped.
set -euo pipefail
driver=
if [ "${1:-}" = --driver ]; then driver=$2 && shift 2; fi
script=$1 && shift
repo=$PWD

header=$(sed '/^#\|^$/!Q' "$script")
if ! grep -q '^# tools:' <<<"$header"; then
  echo "$script: no \`# tools:\` line in the header comment" >&2 && exit 2
fi
sources=$(sed -n 's/^# source://p' <<<"$header")
for s in $sources; do
  case "/$s/" in //* | */../*) echo "$script: \`# source: $s\` is outside the repository" >&2 && exit 2 ;; esac
done

base=$(mktemp -d)
trap 'chmod -R u+w "$base" && rm -rf "$base"' EXIT
path=$PATH
for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -r); do
  if [ -d "$d" ]; then path=$path:$d; fi
done
missing=()
# shellcheck disable=SC2013 # the tools are words
for t in $(sed -n 's/^# tools://p' <<<"$header"); do
  case $t in
    python3:*) python3 -c "import ${t#python3:}" 2>/dev/null || missing+=("python3 module ${t#python3:}") ;;
    kustomize) if ! PATH=$path command -v kustomize >/dev/null && PATH=$path command -v kubectl >/dev/null; then
      # kubectl embeds kustomize, and the checks only call `kustomize build`.
      mkdir "$base/stand-ins" && path=$path:$base/stand-ins
      # shellcheck disable=SC2016 # the stand-in's own variables
      printf '#!/bin/sh\n[ "$1" = build ] || exit 2\nshift\nexec kubectl kustomize "$@"\n' >"$base/stand-ins/kustomize"
      chmod a+rx "$base/stand-ins" "$base/stand-ins/kustomize"
      echo "sandbox: kustomize is a stand-in running \`kubectl kustomize\` (nixpkgs has the real one)" >&2
    elif ! PATH=$path command -v kustomize >/dev/null; then missing+=(kustomize); fi ;;
    *) PATH=$path command -v "$t" >/dev/null || missing+=("$t") ;;
  esac
done

run=()
if [ "$(id -u)" = 0 ]; then
  run=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  if unshare --net -- ip link set lo up 2>/dev/null; then
    run=(unshare --net -- sh -c 'ip link set lo up && exec "$@"' sandbox "${run[@]}")
  elif grep -q '^# needs: netns' <<<"$header"; then missing+=("a network namespace"); fi
elif grep -q '^# needs: netns' <<<"$header"; then missing+=("a network namespace (root)"); fi
if ((${#missing[@]})); then
  echo "needs ${missing[*]}, not here" >&2 && exit 77
fi

mkdir "$base/src" "$base/build" "$base/outputs"
cp "$script" "$base/check.sh"
cmd=(bash "$base/check.sh")
if [ -n "$driver" ]; then cp "$driver" "$base/driver.sh" && cmd=(bash "$base/driver.sh" "$base/check.sh"); fi
if [ -n "$sources" ]; then
  # shellcheck disable=SC2086 # one directory per word
  git ls-files -z -- $sources | while IFS= read -r -d '' f; do
    if [ -f "$f" ]; then cp --parents "$f" "$base/src"; fi # else: deleted in the work tree
  done
fi
chmod -R a-w,a+rX "$base/src" && chmod a+rx "$base" && chmod a+r "$base"/*.sh
if ((${#run[@]})); then chown 65534:65534 "$base/build" "$base/outputs"; fi
env=(env -i "PATH=$path" HOME=/homeless-shelter "src=$base/src" "out=$base/outputs/out")
for k in TMPDIR TMP TEMP TEMPDIR NIX_BUILD_TOP; do env+=("$k=$base/build"); done

status=0
(cd "$base/build" && "${run[@]}" "${env[@]}" "$@" "${cmd[@]}" </dev/null >"$base/log" 2>&1) || status=$?
if [ "$status" = 0 ] && ! [ -e "$base/outputs/out" ] && ! [ -L "$base/outputs/out" ]; then
  echo "succeeded but created no \$out" >>"$base/log" && status=1
fi
if [ "$status" != 0 ]; then
  echo "failed (exit $status) in $repo's sandbox-like directory; last lines:" >&2
  tail -n 30 "$base/log" | sed 's/^/    | /' >&2
  exit 1
fi
