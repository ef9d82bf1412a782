# checks.promtool: every PrometheusRule under kustomize/ is extracted to a plain rule file
# and checked by `promtool check rules` (syntax, PromQL, labels); every rule unit test (a
# YAML file with a `rule_files:` key) runs with `promtool test rules`.
#
# The contract of every script in nix/checks/ (nix/checks.nix runs it with `bash`; the nix
# suite of `cargo xtask test` runs it outside Nix the same way):
#   $src  the check's filtered source, read-only (here it holds kustomize/)
#   $out  does not exist yet; the script creates it
#   the working directory is an empty, writable build directory; HOME=/homeless-shelter
#   (does not exist); no network; the tools named below come from PATH.
# tools: promtool python3 python3:yaml
# source: kustomize
set -euo pipefail

mkdir rules
python3 - "$src/kustomize" rules <<'PY'
import pathlib, sys, yaml
src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
n = 0
for f in sorted(list(src.rglob("*.yaml")) + list(src.rglob("*.yml"))):
    for doc in yaml.safe_load_all(f.read_text()):
        if isinstance(doc, dict) and doc.get("kind") == "PrometheusRule":
            n += 1
            name = f"{n:03d}-{doc['metadata']['name']}.yaml"
            (out / name).write_text(yaml.safe_dump({"groups": doc["spec"]["groups"]}))
print(f"{n} PrometheusRule objects")
PY
rules=$(find rules -name '*.yaml' | sort)
tests=$(grep -rlE --include='*.yaml' --include='*.yml' '^rule_files:' "$src/kustomize" | sort || true)
test -n "$rules$tests" || { echo "no Prometheus rules or rule tests under kustomize/" >&2; exit 1; }
if [ -n "$rules" ]; then promtool check rules $rules; fi
for t in $tests; do
  (cd "$(dirname "$t")" && promtool test rules "$(basename "$t")")
done
touch "$out"
