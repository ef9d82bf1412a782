# checks.kustomize: every kustomization under kustomize/ renders, and every rendered object
# is a well-formed Kubernetes object. Schema validation against the CRD schemas needs
# reference data outside the repository and runs in `cargo xtask test --only kustomize`.
# Contract: see nix/checks/promtool.sh.
# tools: kustomize python3 python3:yaml
# source: kustomize
# $src, $out and the other inputs come from the derivation's environment.
# shellcheck disable=SC2154
set -euo pipefail

count=0
for k in $(cd "$src" && find kustomize -name kustomization.yaml -o -name kustomization.yml | sort); do
  dir=$(dirname "$k")
  if grep -q '^kind: *Component' "$src/$k"; then continue; fi
  echo "== kustomize build $dir"
  kustomize build "$src/$dir" >rendered.yaml
  python3 - rendered.yaml <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]
assert docs, "rendered nothing"
for d in docs:
    assert d.get("apiVersion") and d.get("kind"), f"object without apiVersion/kind: {d!r:.200}"
    assert (d.get("metadata") or {}).get("name"), f"{d['kind']} without metadata.name"
print(f"  {len(docs)} objects")
PY
  count=$((count + 1))
done
test "$count" -gt 0 || { echo "no kustomization rendered" >&2; exit 1; }
touch "$out"
