"""Offline validation of kustomize/ (entry point: `cargo xtask test --only kustomize`).

    python3 kustomize/tests/check.py --schemas DIR --k8s-version 1.32 --out DIR

1. renders every kustomization.yaml with `kubectl kustomize`;
2. expands each cluster (kustomize/clusters/<env>) into the objects Flux applies, with the
   cluster's post-build variables, and fails on unresolved variables and unreachable directories;
3. validates every object against its schema (core kinds strict, CRDs from --schemas);
4. runs the policy checks of policies.py on each cluster;
5. writes each cluster's objects to --out/<env>/ for checkov.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import yaml

import admission
import policies
import render
import schemas

ROOTS = {"infra-controllers"}
MARKER = re.compile(r'\{"\$imagepolicy":\s*"([^"]+)"\}')


def marker_refs(repo: Path, env: str) -> list[tuple[str, str]]:
    refs = []
    for f in sorted((repo / "kustomize" / "apps").rglob("*.yaml")):
        rel = f.relative_to(repo).as_posix()
        if f"/{env}/" not in rel:
            continue
        for m in MARKER.finditer(f.read_text()):
            refs.append((rel, m.group(1)))
    return refs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2])
    ap.add_argument("--schemas", type=Path, required=True)
    ap.add_argument("--k8s-version", default="1.32")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--kubectl", default="kubectl")
    args = ap.parse_args()
    repo = args.repo.resolve()
    failures = 0

    def report(step: str, problems: list[str]) -> None:
        nonlocal failures
        if problems:
            failures += len(problems)
            print(f"FAIL {step}: {len(problems)} problem(s)")
            for p in problems:
                print(f"  - {p}")
        else:
            print(f"ok   {step}")

    t0 = time.monotonic()
    dirs = [d.resolve() for d in render.kustomization_dirs(repo / "kustomize")]
    try:
        builds = render.build_all(dirs, args.kubectl)
    except render.RenderError as e:
        report("render", [str(e)])
        return 1
    n_objs = sum(len(v) for v in builds.values())
    print(f"ok   render: {len(dirs)} kustomizations, {n_objs} objects "
          f"({time.monotonic() - t0:.1f}s)")

    envs = sorted(p.name for p in (repo / "kustomize" / "clusters").iterdir() if p.is_dir())
    clusters = [render.expand_cluster(repo, env, builds) for env in envs]
    for c in clusters:
        report(f"{c.env}: Flux paths resolve, every ${{VAR}} has a value "
               f"({len(c.flux_kustomizations)} Flux Kustomizations, {len(c.objects)} objects)",
               c.errors)

    reached = render.referenced_dirs(repo, builds, clusters)
    orphans = [str(d.relative_to(repo)) for d in dirs if d not in reached]
    report(f"every kustomization is reached from a cluster ({len(reached)}/{len(dirs)})",
           [f"{o}: not referenced by any cluster or parent kustomization" for o in orphans])

    version = schemas.pick_version(args.k8s_version)
    # policy.sigstore.dev has no schema in the shared directory: its chart's CRDs (admission.py).
    validator = admission.WithChartCRDs(schemas.Validator(args.schemas, version))
    for c in clusters:
        problems = []
        for o in c.objects:
            problems += [f"{o.ref()}: {p}" for p in validator.validate(o.body)]
        kinds = len({(o.api_version, o.kind) for o in c.objects})
        report(f"{c.env}: schemas ({len(c.objects)} objects, {kinds} kinds; core kinds strict "
               f"against Kubernetes {version})", problems)

    for c in clusters:
        for name, check in policies.ALL.items():
            report(f"{c.env}: policy {name}", check(c.objects))
        report(f"{c.env}: policy flux-dependencies",
               policies.check_flux_dependencies(c.objects, ROOTS))
        report(f"{c.env}: policy image-automation-markers",
               policies.check_image_markers(c.objects, marker_refs(repo, c.env)))

    # Secret objects anywhere in the tree, referenced or not.
    raw = []
    for f in sorted((repo / "kustomize").rglob("*.y*ml")):
        try:
            docs = list(yaml.safe_load_all(f.read_text()))
        except yaml.YAMLError as e:
            raw.append(f"{f.relative_to(repo)}: not YAML: {e}")
            continue
        for d in docs:
            if isinstance(d, dict) and d.get("kind") == "Secret" and (d.get("data") or d.get("stringData")):
                raw.append(f"{f.relative_to(repo)}: Secret {d.get('metadata', {}).get('name')} with data")
    report("no Secret with data in any file under kustomize/", raw)

    for c in clusters:
        out = args.out / c.env
        out.mkdir(parents=True, exist_ok=True)
        for owner, objs in policies.group_by_owner(c.objects).items():
            (out / f"{owner}.yaml").write_text(
                yaml.safe_dump_all([o.body for o in objs], sort_keys=False, width=1 << 30))
    print(f"rendered clusters written to {args.out} ({time.monotonic() - t0:.1f}s in all)")
    if failures:
        print(f"{failures} problem(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
