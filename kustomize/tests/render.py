"""Rendering of the kustomize/ tree the way Flux applies it.

Every directory with a kustomization.yaml is built with `kubectl kustomize`. Each cluster
(kustomize/clusters/<env>) is then expanded: its Flux Kustomizations name the paths Flux builds
for that cluster, and their post-build variables come from the cluster's `cluster-vars`
ConfigMap, substituted like kustomize-controller does (${VAR} and ${VAR:=default}, per object,
unless the object opts out with the annotation kustomize.toolkit.fluxcd.io/substitute: disabled).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import re
import subprocess
from pathlib import Path

import yaml

SUBSTITUTE_OFF = "kustomize.toolkit.fluxcd.io/substitute"
FLUX_KS_API = "kustomize.toolkit.fluxcd.io/"
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])([^}]*))?\}")


class RenderError(Exception):
    pass


@dataclasses.dataclass
class Obj:
    """A rendered object and where it came from (Flux Kustomization name, directory)."""

    body: dict
    owner: str
    source: str
    suspended: bool = False

    @property
    def kind(self) -> str:
        return self.body.get("kind", "")

    @property
    def api_version(self) -> str:
        return self.body.get("apiVersion", "")

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def name(self) -> str:
        return self.body.get("metadata", {}).get("name", "")

    @property
    def namespace(self) -> str | None:
        return self.body.get("metadata", {}).get("namespace")

    def ref(self) -> str:
        ns = self.namespace
        where = f"{ns}/" if ns else ""
        return f"{self.kind} {where}{self.name} ({self.owner}: {self.source})"


def kustomization_dirs(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("kustomization.yaml"))


def kubectl_build(directory: Path, kubectl: str = "kubectl") -> list[dict]:
    proc = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RenderError(f"kubectl kustomize {directory} failed:\n{proc.stderr.strip()}")
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def build_all(dirs: list[Path], kubectl: str = "kubectl") -> dict[Path, list[dict]]:
    """Builds every directory (two at a time: the machine is shared); all errors are collected."""
    out: dict[Path, list[dict]] = {}
    errors: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {pool.submit(kubectl_build, d, kubectl): d for d in dirs}
        for fut in concurrent.futures.as_completed(futures):
            try:
                out[futures[fut]] = fut.result()
            except RenderError as e:
                errors.append(str(e))
    if errors:
        raise RenderError("\n".join(sorted(errors)))
    return out


def substitute(body: dict, variables: dict[str, str]) -> tuple[dict, list[str]]:
    """Flux post-build substitution of one object. Returns the new object and the names of the
    variables that had neither a value nor a default (Flux would silently make them empty)."""
    if body.get("metadata", {}).get("annotations", {}).get(SUBSTITUTE_OFF) == "disabled":
        return body, []
    text = yaml.safe_dump(body, width=1 << 30, sort_keys=False)
    missing: list[str] = []

    def repl(m: re.Match) -> str:
        name, op, default = m.group(1), m.group(2), m.group(3)
        if name in variables:
            return variables[name]
        if op:
            return default or ""
        missing.append(name)
        return ""

    new = VAR.sub(repl, text)
    try:
        return yaml.safe_load(new), missing
    except yaml.YAMLError as e:  # a value that breaks the YAML breaks Flux as well
        raise RenderError(f"substitution makes invalid YAML in {body.get('kind')} "
                          f"{body.get('metadata', {}).get('name')}: {e}") from e


@dataclasses.dataclass
class Cluster:
    env: str
    objects: list[Obj]
    flux_kustomizations: dict[str, dict]
    variables: dict[str, str]
    errors: list[str]


def is_flux_kustomization(body: dict) -> bool:
    return body.get("kind") == "Kustomization" and body.get("apiVersion", "").startswith(FLUX_KS_API)


def expand_cluster(repo: Path, env: str, builds: dict[Path, list[dict]]) -> Cluster:
    """The objects Flux would apply to one cluster, each tagged with its Flux Kustomization."""
    cluster_dir = (repo / "kustomize" / "clusters" / env).resolve()
    errors: list[str] = []
    top = builds[cluster_dir]
    variables: dict[str, str] = {}
    for d in top:
        if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == "cluster-vars":
            variables = {k: str(v) for k, v in (d.get("data") or {}).items()}
    if not variables:
        errors.append(f"{env}: no cluster-vars ConfigMap in kustomize/clusters/{env}")

    objects = [Obj(d, "flux-system", f"kustomize/clusters/{env}") for d in top]
    kss = {d["metadata"]["name"]: d for d in top if is_flux_kustomization(d)}
    for name, ks in sorted(kss.items()):
        spec = ks.get("spec", {})
        path = spec.get("path", "")
        target = (repo / path).resolve()
        if name == "flux-system":
            if target != cluster_dir:
                errors.append(f"{env}: flux-system must reconcile ./kustomize/clusters/{env}, not {path}")
            continue
        if target not in builds:
            errors.append(f"{env}: Flux Kustomization {name} points at {path}, which has no kustomization.yaml")
            continue
        subst_from = [s.get("name") for s in spec.get("postBuild", {}).get("substituteFrom", [])]
        uses_vars = "cluster-vars" in subst_from
        for body in builds[target]:
            if uses_vars:
                body, missing = substitute(body, variables)
            else:
                missing = sorted(set(m.group(1) for m in VAR.finditer(yaml.safe_dump(body)))) \
                    if body.get("metadata", {}).get("annotations", {}).get(SUBSTITUTE_OFF) != "disabled" else []
            rel = os.path.relpath(target, repo)
            obj = Obj(body, name, rel, bool(spec.get("suspend")))
            for var in sorted(set(missing)):
                errors.append(f"{env}: unresolved variable ${{{var}}} in {obj.ref()}")
            objects.append(obj)
    return Cluster(env, objects, kss, variables, errors)


def referenced_dirs(repo: Path, builds: dict[Path, list[dict]], clusters: list[Cluster]) -> set[Path]:
    """Directories Flux reaches: the cluster entry points, the Flux Kustomization paths and, through
    `resources:`/`components:` of their kustomization.yaml, everything those include."""
    start = {(repo / "kustomize" / "clusters" / c.env).resolve() for c in clusters}
    for c in clusters:
        for ks in c.flux_kustomizations.values():
            start.add((repo / ks.get("spec", {}).get("path", "")).resolve())
    seen: set[Path] = set()
    todo = list(start)
    while todo:
        d = todo.pop()
        if d in seen or not (d / "kustomization.yaml").is_file():
            continue
        seen.add(d)
        k = yaml.safe_load((d / "kustomization.yaml").read_text()) or {}
        for entry in (k.get("resources") or []) + (k.get("components") or []):
            p = (d / entry).resolve()
            if p.is_dir():
                todo.append(p)
    return seen
