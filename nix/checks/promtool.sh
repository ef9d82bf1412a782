# checks.promtool: every PrometheusRule under kustomize/ is extracted to rules/<name>.yaml
# (its metadata.name) and checked by `promtool check rules` (syntax, PromQL, labels); every
# rule unit test (a YAML file with a `rule_files:` key) is copied next to those rules and run
# with `promtool test rules`, the layout the tests expect (`rule_files: [rules/<name>.yaml]`)
# and the one the observability suite of `cargo xtask test` uses.
#
# The contract of every script in nix/checks/ (nix/checks.nix runs it with `bash`; the nix
# suite of `cargo xtask test` runs it outside Nix the same way):
#   $src  the check's filtered source, read-only (here it holds kustomize/)
#   $out  does not exist yet; the script creates it
#   the working directory is an empty, writable build directory; HOME=/homeless-shelter
#   (does not exist); no network; the tools named below come from PATH.
# tools: promtool python3 python3:yaml
# source: kustomize
# $src, $out and the other inputs come from the derivation's environment.
# shellcheck disable=SC2154
set -euo pipefail

# Everything is written here, in the build directory: $src is read-only.
mkdir rules unit
python3 - "$src/kustomize" rules unit <<'PY'
import pathlib, shutil, sys, yaml
src, rules, unit = (pathlib.Path(a) for a in sys.argv[1:4])
files = sorted(list(src.rglob("*.yaml")) + list(src.rglob("*.yml")))
names = {}
for f in files:
    for doc in yaml.safe_load_all(f.read_text()):
        if isinstance(doc, dict) and doc.get("kind") == "PrometheusRule":
            name = doc["metadata"]["name"]
            if name in names:
                sys.exit(f"PrometheusRule {name} is defined twice: {names[name]} and {f}")
            names[name] = f
            (rules / f"{name}.yaml").write_text(yaml.safe_dump({"groups": doc["spec"]["groups"]}))
print(f"{len(names)} PrometheusRule objects: {', '.join(sorted(names))}")
tests = 0
for f in files:
    docs = [d for d in yaml.safe_load_all(f.read_text()) if d is not None]
    if not (len(docs) == 1 and isinstance(docs[0], dict) and "rule_files" in docs[0]):
        continue
    doc = docs[0]
    tests += 1
    for wanted in doc["rule_files"]:
        if not (rules.parent / wanted).exists():
            sys.exit(f"{f.relative_to(src.parent)} loads {wanted}, which no PrometheusRule provides "
                     f"(extracted: {', '.join(f'rules/{n}.yaml' for n in sorted(names))})")
    # One directory per test, with the rules beside it, so equal file names cannot collide.
    case = unit / f"{tests:03d}"
    case.mkdir()
    shutil.copy(f, case / f.name)
    (case / "rules").symlink_to(rules.resolve())
print(f"{tests} rule unit tests")
PY
mapfile -t rules < <(find rules -name '*.yaml' | sort)
test "${#rules[@]}" -gt 0 || { echo "no PrometheusRule under kustomize/" >&2; exit 1; }
promtool check rules "${rules[@]}"
for t in unit/*/*.yaml unit/*/*.yml; do
  [ -e "$t" ] || continue
  (cd "$(dirname "$t")" && promtool test rules "$(basename "$t")")
done
touch "$out"
