"""Offline validation of kustomize/ (entry point: `cargo xtask test --only kustomize`).

    python3 kustomize/tests/check.py --schemas DIR --k8s-version 1.32 --out DIR

1. renders every kustomization.yaml with `kubectl kustomize`;
2. expands each cluster (kustomize/clusters/<env>) into the objects Flux applies, with the
   cluster's post-build variables, and fails on unresolved variables and unreachable directories;
3. renders every HelmRelease with its pinned chart from --charts (helm.py): values as
   helm-controller composes them, the chart's values schema, no value key the chart does not read;
   the rendered objects join the cluster's objects;
4. validates every object against its schema (core kinds strict, CRDs from --schemas);
5. runs the policy checks of policies.py on each cluster (chart objects included; the exceptions
   for them, each with its reason, are helm.CHART_EXCEPTIONS, and an unused one fails);
6. writes each cluster's objects to --out/<env>/ for checkov.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import yaml

import admission
import helm
import kibana
import monitoring_labels
import policies
import render
import schemas
import uptime_kuma

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


def promtool_tests(repo: Path) -> dict[str, str]:
    """The promtool unit tests of our rules (`*.test.yaml` under kustomize/)."""
    return {f.relative_to(repo).as_posix(): f.read_text()
            for f in sorted((repo / "kustomize").rglob("*.test.yaml"))}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2])
    ap.add_argument("--schemas", type=Path, required=True)
    ap.add_argument("--k8s-version", default="1.32")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--kubectl", default="kubectl")
    ap.add_argument("--only-env", help="check one cluster only (the self-tests' broken copies)")
    ap.add_argument("--charts", type=Path, default=os.environ.get("KUSTOMIZE_HELM_CHARTS"),
                    help="directory of the pinned charts, <chart>-<version>/ (env KUSTOMIZE_HELM_CHARTS)")
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
    if args.only_env:
        envs = [e for e in envs if e == args.only_env]
    clusters = [render.expand_cluster(repo, env, builds) for env in envs]
    for c in clusters:
        report(f"{c.env}: Flux paths resolve, every ${{VAR}} has a value "
               f"({len(c.flux_kustomizations)} Flux Kustomizations, {len(c.objects)} objects)",
               c.errors)

    if not args.only_env:  # with one cluster, the other's directories are not reached
        reached = render.referenced_dirs(repo, builds, clusters)
        orphans = [str(d.relative_to(repo)) for d in dirs if d not in reached]
        report(f"every kustomization is reached from a cluster ({len(reached)}/{len(dirs)})",
               [f"{o}: not referenced by any cluster or parent kustomization" for o in orphans])

    if not args.charts or not Path(args.charts).is_dir():
        report("helm charts", [f"no chart directory (--charts / KUSTOMIZE_HELM_CHARTS): {args.charts}"])
        return 1
    t1 = time.monotonic()
    try:
        renderer = helm.Renderer(Path(args.charts), args.k8s_version)
    except helm.HelmUnavailable as e:
        report("helm charts", [str(e)])
        return 1
    for c in clusters:
        rendered, problems = renderer.render_cluster(c.objects)
        rels = helm.releases(c.objects)
        report(f"{c.env}: {len(rels)} HelmReleases rendered with their pinned charts "
               f"({len(rendered)} objects, Kubernetes {args.k8s_version}, values schemas)", problems)
        unread = []
        for rel in rels:
            chart_dir = Path(args.charts) / f"{rel.chart}-{rel.version}"
            if not chart_dir.is_dir():
                continue  # reported by the render step
            keys = helm.unread_values(rel.values, helm.chart_defaults(chart_dir),
                                      helm.chart_sources(chart_dir), renderer.chart(rel).schema)
            unread += [f"{rel.label}: values key {k} is not read by the chart" for k in keys]
        report(f"{c.env}: every HelmRelease value key is read by its chart", unread)
        c.objects.extend(rendered)
    print(f"ok   helm: {time.monotonic() - t1:.1f}s")

    t1 = time.monotonic()
    version = schemas.pick_version(args.k8s_version)
    # policy.sigstore.dev has no schema in the shared directory: its chart's CRDs (admission.py).
    validator = admission.WithChartCRDs(schemas.Validator(args.schemas, version))
    seen: dict[str, list[str]] = {}  # the clusters share most objects (all the charts' CRDs)
    for c in clusters:
        problems = []
        for o in c.objects:
            key = json.dumps(o.body, sort_keys=True)
            if key not in seen:
                seen[key] = validator.validate(o.body)
            problems += [f"{o.ref()}: {p}" for p in seen[key]]
        kinds = len({(o.api_version, o.kind) for o in c.objects})
        report(f"{c.env}: schemas ({len(c.objects)} objects, {kinds} kinds; core kinds strict "
               f"against Kubernetes {version})", problems)
    print(f"     ({time.monotonic() - t1:.1f}s)")

    used: set[int] = set()
    for c in clusters:
        enforced = helm.enforced_restricted(c.objects)
        for name, check in policies.ALL.items():
            problems, hits = helm.waive(name, check(c.objects), enforced)
            used |= hits
            report(f"{c.env}: policy {name}", problems)
        report(f"{c.env}: policy flux-dependencies",
               policies.check_flux_dependencies(c.objects, ROOTS))
        report(f"{c.env}: policy image-automation-markers",
               policies.check_image_markers(c.objects, marker_refs(repo, c.env)))
        report(f"{c.env}: alerts, dashboards and promtool tests select what the manifests produce "
               f"(container, job, namespace, service, pod)",
               monitoring_labels.check_monitoring_selectors(c.objects, promtool_tests(repo)))
        report(f"{c.env}: Uptime Kuma as code (AutoKuma follows ConfigMap symlinks, no setup "
               f"wizard, entity and status page references)", uptime_kuma.check_uptime_kuma(c.objects))
        report(f"{c.env}: Kibana saved objects (references, data view, fields mapped by the index "
               f"template)", kibana.check_kibana_objects(c.objects))

    report(f"every chart exception is still needed ({len(helm.CHART_EXCEPTIONS)})",
           [f"{e.policy} / {e.release} / {e.pattern}: matches nothing (remove it)"
            for i, e in enumerate(helm.CHART_EXCEPTIONS) if i not in used])

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

    # Our own objects go to --out for checkov; the charts' objects beside it (--out/../charts),
    # checked above by our policies with their listed exceptions, not by checkov's (their
    # templates cannot carry checkov skip annotations).
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    for c in clusters:
        for base, mine in ((args.out, True), (args.out.parent / "charts", False)):
            out = base / c.env
            out.mkdir(parents=True, exist_ok=True)
            objs_ = [o for o in c.objects if o.source.startswith(helm.HELM_SOURCE) != mine]
            for owner, objs in policies.group_by_owner(objs_).items():
                (out / f"{owner}.yaml").write_text(yaml.dump_all(
                    [o.body for o in objs], Dumper=dumper, sort_keys=False, width=1 << 30))
    print(f"rendered clusters written to {args.out} ({time.monotonic() - t0:.1f}s in all)")
    if failures:
        print(f"{failures} problem(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
