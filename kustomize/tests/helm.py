"""Every HelmRelease of a cluster rendered with its real chart, the way helm-controller would.

The HelmRelease objects come from render.expand_cluster, so Flux post-build substitution from
the cluster's cluster-vars has already happened. For each release:

1. values: every `valuesFrom` entry stubbed by key (a Secret/ConfigMap value is opaque here: a
   string at its targetPath, an empty map without one), then `spec.values` merged on top — the
   order of helm-controller's ChartValuesFromReferences;
2. the chart from <charts>/<chart>-<version>/ (the exact pinned chart, dependencies resolved),
   rendered through Helm's own Go SDK (PyPI helm-python-sdk) with the release name and namespace
   helm-controller would use, `.Capabilities.APIVersions` holding the built-in APIs plus every
   CRD the cluster installs (Flux's, and those of every chart), and the cluster's Kubernetes
   version;
3. the chart's `values.schema.json`, where it ships one, validates the values (Helm refuses an
   install that breaks it);
4. every key of our values must be one the chart reads (see unread_values);
5. the rendered objects (without NOTES.txt, test hooks unless `spec.test.enable`) and the CRDs of
   `crds/` (unless `install.crds: Skip`) become render.Obj with source `helm:<release>`, so that
   check.py schema-validates them and runs the same policies as on our own objects.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import re
from pathlib import Path

import yaml

from render import Obj

HELM_SOURCE = "helm:"
# Kinds helm applies without a namespace (everything else lands in the release namespace).
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "PriorityClass", "StorageClass", "IngressClass",
    "APIService", "PersistentVolume", "CSIDriver", "RuntimeClass", "ClusterSecretStore",
    "ClusterExternalSecret", "ClusterGenerator", "IngressClassParams",
}
# Built-in API versions helm reports without a cluster; the CRDs of the cluster are added.
TEST_HOOKS = {"test", "test-success", "test-failure"}


class HelmUnavailable(Exception):
    pass


def _helm():
    try:
        import helm_python  # noqa: PLC0415 (imported late: only the helm step needs it)
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise HelmUnavailable(
            "the PyPI package helm-python-sdk is not installed (pip install -r .ci/requirements.txt)"
        ) from e
    return helm_python


@dataclasses.dataclass
class Release:
    hr: Obj
    chart: str
    version: str
    name: str
    namespace: str
    values: dict

    @property
    def label(self) -> str:
        return f"HelmRelease {self.hr.namespace}/{self.hr.name} ({self.chart} {self.version})"


def release_name(hr: dict) -> str:
    """helm-controller's release name: spec.releaseName, else <targetNamespace>-<name> when a
    target namespace is set, else the HelmRelease's name."""
    spec = hr.get("spec", {})
    if spec.get("releaseName"):
        return spec["releaseName"]
    name = hr["metadata"]["name"]
    return f"{spec['targetNamespace']}-{name}" if spec.get("targetNamespace") else name


def split_path(path: str) -> list[str]:
    """A Helm --set style path (`a.b\\.c.d`) into its keys."""
    return [p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", path)]


def set_path(values: dict, path: str, value) -> None:
    keys = split_path(path)
    node = values
    for k in keys[:-1]:
        if not isinstance(node.get(k), dict):
            node[k] = {}
        node = node[k]
    node[keys[-1]] = value


def merge(base: dict, over: dict) -> dict:
    """Deep merge, `over` wins (Flux's transform.MergeMaps)."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def stubbed_values(spec: dict) -> dict:
    """valuesFrom stubbed by key, then spec.values on top."""
    values: dict = {}
    for ref in spec.get("valuesFrom") or []:
        key = ref.get("valuesKey") or "values.yaml"
        if ref.get("targetPath"):
            set_path(values, ref["targetPath"], f"stub-{ref.get('kind')}-{ref.get('name')}-{key}")
        # Without targetPath the key holds a whole values document we cannot see: nothing to add.
    return merge(values, spec.get("values") or {})


def releases(objs: list[Obj]) -> list[Release]:
    out = []
    for o in objs:
        if o.kind != "HelmRelease":
            continue
        spec = o.body.get("spec", {})
        chart = (spec.get("chart") or {}).get("spec") or {}
        out.append(Release(o, chart.get("chart", ""), str(chart.get("version", "")),
                           release_name(o.body), spec.get("targetNamespace") or o.namespace or "default",
                           stubbed_values(spec)))
    return out


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):
    """YAML 1.2 reading of `=`: PyYAML resolves a bare `=` to the YAML 1.1 "value" tag, which it
    cannot construct (the Prometheus operator CRDs list `=` among the matcher operators)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:value"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _docs(text: str) -> list[dict]:
    return [d for d in yaml.load_all(text, Loader=_Loader) if isinstance(d, dict) and d]


def crd_api_versions(crds: list[dict]) -> set[str]:
    """`group/version` and `group/version/Kind` of CRD objects (what .Capabilities.APIVersions.Has
    is asked)."""
    out = set()
    for c in crds:
        spec = c.get("spec", {})
        group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
        for v in spec.get("versions") or []:
            if v.get("served", True):
                out.add(f"{group}/{v['name']}")
                out.add(f"{group}/{v['name']}/{kind}")
    return out


class Renderer:
    """Loads each pinned chart once and renders the releases of a cluster."""

    def __init__(self, charts_root: Path, kube_version: str):
        self.h = _helm()
        self.root = charts_root
        self.kube_version = kube_version if kube_version.startswith("v") else f"v{kube_version}"
        if self.kube_version.count(".") == 1:
            self.kube_version += ".0"
        self._charts: dict[str, object] = {}
        self._crds: dict[str, list[dict]] = {}

    def chart(self, rel: Release):
        key = f"{rel.chart}-{rel.version}"
        if key not in self._charts:
            d = self.root / key
            if not d.is_dir():
                raise FileNotFoundError(f"{rel.label}: chart {key} not found in {self.root}")
            c = self.h.Chart.load(str(d))
            if c.version != rel.version:
                raise ValueError(f"{rel.label}: {d} holds version {c.version}")
            self._charts[key] = c
        return self._charts[key]

    def raw_render(self, rel: Release, api_versions: set[str]) -> dict[str, str]:
        c = self.chart(rel)
        opts = {"name": rel.name, "namespace": rel.namespace, "is_install": True,
                "api_versions": sorted(api_versions), "kube_version": self.kube_version}
        # Chart.render() does not expose api_versions/kube_version; the native call it wraps does.
        return json.loads(self.h._native.call_string(
            "helm_render", c._raw(), json.dumps(rel.values), json.dumps(opts)))

    def chart_crds(self, rel: Release) -> list[dict]:
        install = rel.hr.body.get("spec", {}).get("install") or {}
        if install.get("crds") == "Skip":
            return []
        key = f"{rel.chart}-{rel.version}"
        if key not in self._crds:
            self._crds[key] = [d for c in self.chart(rel).crds for d in _docs(c["data"])]
        return copy.deepcopy(self._crds[key])

    def render_cluster(self, objs: list[Obj]) -> tuple[list[Obj], list[str]]:
        """The objects of every HelmRelease in `objs`, and the problems found on the way."""
        rels = releases(objs)
        problems: list[str] = []
        crds = [o.body for o in objs if o.kind == "CustomResourceDefinition"]
        # Pass 1 finds the CRDs the charts install (crds/, and templates of the charts that have
        # CRD templates); pass 2 renders with them served, as on a cluster where every release is
        # installed. A chart that never asks .Capabilities.APIVersions keeps its pass-1 result.
        first: dict[str, dict[str, str] | None] = {}
        base = crd_api_versions(crds)
        for rel in rels:
            try:
                self.chart(rel)  # a missing or mismatched chart is reported as such
                sources = "\n".join(chart_sources(self.root / f"{rel.chart}-{rel.version}").values())
                first[rel.name] = self.raw_render(rel, base) if "CustomResourceDefinition" in sources else None
                crds += self.chart_crds(rel)
                crds += [d for k, t in (first[rel.name] or {}).items() if k.endswith((".yaml", ".yml"))
                         for d in _docs(t) if d.get("kind") == "CustomResourceDefinition"]
            except Exception as e:  # noqa: BLE001 - a chart that fails to render is one finding
                problems.append(f"{rel.label}: does not render: {e}")
        apis = crd_api_versions(crds)
        out: list[Obj] = []
        for rel in rels:
            if rel.name not in first:
                continue
            asks = "APIVersions" in "\n".join(chart_sources(self.root / f"{rel.chart}-{rel.version}").values())
            try:
                rendered = first[rel.name] if first[rel.name] is not None and not asks \
                    else self.raw_render(rel, apis)
            except Exception as e:  # noqa: BLE001
                problems.append(f"{rel.label}: does not render with the cluster's APIs: {e}")
                continue
            c = self.chart(rel)
            if c.schema is not None:
                try:
                    c.validate_schema(rel.values)
                except Exception as e:  # noqa: BLE001
                    problems.append(f"{rel.label}: values break the chart's values.schema.json: {e}")
            out += self.objects(rel, rendered)
        return out, problems

    def objects(self, rel: Release, rendered: dict[str, str]) -> list[Obj]:
        test_enabled = bool((rel.hr.body.get("spec", {}).get("test") or {}).get("enable"))
        bodies = list(self.chart_crds(rel))
        for path, text in sorted(rendered.items()):
            if not path.endswith((".yaml", ".yml", ".tpl")) or "/templates/" not in f"/{path}":
                continue  # NOTES.txt and other non-manifest files
            for d in _docs(text):
                hooks = set((d.get("metadata", {}).get("annotations") or {})
                            .get("helm.sh/hook", "").replace(" ", "").split(","))
                if hooks & TEST_HOOKS and not test_enabled:
                    continue
                bodies.append(d)
        out = []
        for d in bodies:
            meta = d.setdefault("metadata", {})
            if d.get("kind") not in CLUSTER_SCOPED and not meta.get("namespace"):
                meta["namespace"] = rel.namespace
            out.append(Obj(d, rel.hr.owner, f"{HELM_SOURCE}{rel.name}", rel.hr.suspended))
        return out


# --- values our HelmReleases set that the chart does not read --------------------------------

@functools.lru_cache(maxsize=None)
def chart_sources(chart_dir: Path) -> dict[tuple[str, ...], str]:
    """Template text of a chart and of each subchart, keyed by the values prefix that reaches it
    (() for the chart, ("grafana",) for its `grafana` subchart, ...)."""
    out: dict[tuple[str, ...], str] = {}

    def walk(d: Path, prefix: tuple[str, ...]):
        out[prefix] = "\n".join(p.read_text(errors="replace") for p in sorted((d / "templates").rglob("*"))
                                if p.is_file())
        meta = yaml.safe_load((d / "Chart.yaml").read_text()) or {}
        aliases = {dep["name"]: dep.get("alias") or dep["name"] for dep in meta.get("dependencies") or []}
        for sub in sorted((d / "charts").glob("*/Chart.yaml")):
            name = (yaml.safe_load(sub.read_text()) or {}).get("name", sub.parent.name)
            walk(sub.parent, prefix + (aliases.get(name, name),))
    walk(chart_dir, ())
    return out


@functools.lru_cache(maxsize=None)
def _chart_defaults(chart_dir: Path) -> str:
    return json.dumps(_read_defaults(chart_dir))


def chart_defaults(chart_dir: Path) -> dict:
    """A fresh copy (callers may keep it) of the chart's defaults; see _read_defaults."""
    return json.loads(_chart_defaults(chart_dir))


def _read_defaults(chart_dir: Path) -> dict:
    """values.yaml of a chart with each subchart's values.yaml under its key (the parent's
    settings win), read as files: Helm's coalescing drops keys whose default is null, and those
    are keys the chart reads too."""
    def load(d: Path) -> dict:
        f = d / "values.yaml"
        return (yaml.load(f.read_text(), Loader=_Loader) or {}) if f.is_file() else {}

    def walk(d: Path) -> dict:
        own = load(d)
        meta = yaml.safe_load((d / "Chart.yaml").read_text()) or {}
        aliases = {dep["name"]: dep.get("alias") or dep["name"] for dep in meta.get("dependencies") or []}
        for sub in sorted((d / "charts").glob("*/Chart.yaml")):
            name = (yaml.safe_load(sub.read_text()) or {}).get("name", sub.parent.name)
            key = aliases.get(name, name)
            parent = own.get(key) if isinstance(own.get(key), dict) else {}
            own[key] = merge(walk(sub.parent), parent)
        return own
    return walk(chart_dir)


def _reads(sources: dict[tuple[str, ...], str], path: tuple[str, ...]) -> bool:
    """Whether a template reads `path` itself (a key the chart only documents in a comment), or
    hands one of its ancestors on as a whole (toYaml, range, with, index ...): then the keys
    below it are the chart's input."""
    return _reads_exactly(sources, path, tests_count=True) or \
        any(_reads_exactly(sources, path[:n]) for n in range(1, len(path)))


# Template functions that only test a map (a key below it is still not read).
_TESTS = re.compile(r"(?:\bhasKey|\bif|\bnot|\band|\bor|\bempty|\bkeys)\s*\(?\s*$")


def _reads_exactly(sources: dict[tuple[str, ...], str], path: tuple[str, ...],
                   tests_count: bool = False) -> bool:
    for prefix, text in sources.items():
        if path[:len(prefix)] != prefix or len(path) == len(prefix):
            continue
        rel = path[len(prefix):]
        dotted = r"\.Values\." + r"\.".join(re.escape(k) for k in rel) + r"(?![\w.])"
        indexed = r"index\s+\$?\.Values\s+" + r"\s+".join(f'"{re.escape(k)}"' for k in rel) + r"\s*\)?\s*(?:\}|\||$)"
        for m in list(re.finditer(dotted, text)) + list(re.finditer(indexed, text, re.M)):
            if tests_count or not _TESTS.search(text[max(0, m.start() - 12):m.start()]):
                return True
    return False


def unread_values(values: dict, defaults: dict, sources: dict[tuple[str, ...], str],
                  schema: dict | None = None) -> list[str]:
    """Dotted paths of `values` that the chart does not read.

    A key is read when it is in the chart's defaults (values.yaml of the chart and its subcharts)
    or in its values.schema.json properties, when it sits below a key whose default is an empty
    map or null (a free-form block the chart passes on), when a template names it, or when it is
    below a map a template hands on whole. Anything else is a typo or a key of another chart
    version, which Helm ignores without a word."""
    out: list[str] = []

    def schema_props(s: dict | None, key: str) -> dict | None:
        if not isinstance(s, dict):
            return None
        props = s.get("properties") or {}
        return props.get(key) if key in props else None

    def walk(ours, dflt, sch, path: tuple[str, ...]):
        for k, v in ours.items():
            p = path + (k,)
            sub_schema = schema_props(sch, k)
            if isinstance(dflt, dict) and k in dflt:
                d = dflt[k]
                if isinstance(v, dict) and isinstance(d, dict) and d:
                    walk(v, d, sub_schema, p)
                continue
            if sub_schema is not None:
                continue  # declared by the chart's schema (which validates its value)
            if dflt in ({}, None) or _reads(sources, p):
                continue
            out.append(".".join(p))

    walk(values, defaults, schema, ())
    return out


# --- where a chart's own objects legitimately break one of our policies -----------------------

@dataclasses.dataclass(frozen=True)
class ChartException:
    policy: str    # the policy name in policies.ALL
    release: str   # the Helm release whose rendered objects it covers
    pattern: str   # regular expression searched in the violation line
    reason: str


# Rules of pod-security-restricted that go beyond Pod Security "restricted" (ours): an exception
# may waive them anywhere. The other rules may only be waived in a namespace that does not
# enforce "restricted" — where it is enforced the API server would refuse the pod.
OUR_EXTRA_POD_RULES = ("runAsUser must be a numeric non-root uid", "readOnlyRootFilesystem must be true")

NODE_AGENT = ("a node agent: it reads the node's files (hostPath) in a namespace that enforces "
              "`privileged` for exactly this reason")
CHART_EXCEPTIONS = [
    ChartException("pod-security-restricted", "kube-prometheus-stack",
                   r"prometheus-node-exporter .*(hostNetwork|hostPID|volume (proc|sys|root) |"
                   r"seccompProfile|allowPrivilegeEscalation|capabilities)",
                   "node-exporter measures the node itself: host network and PID namespaces, /proc, "
                   "/sys and / read-only from the host (the chart's design; monitoring enforces privileged)"),
    ChartException("pod-security-restricted", "fluent-bit",
                   r"DaemonSet logging/fluent-bit .*(volume (varlog|state|etcmachineid) |runAsNonRoot|runAsUser)",
                   NODE_AGENT + "; the container log files are root-owned, so it runs as root"),
    ChartException("pod-security-restricted", "fluent-bit-elasticsearch",
                   r"DaemonSet logging/fluent-bit-elasticsearch .*(volume (varlog|state) |runAsNonRoot|runAsUser)",
                   NODE_AGENT + "; the container log files are root-owned, so it runs as root"),
    ChartException("pod-security-restricted", "aws-load-balancer-controller",
                   r"container aws-load-balancer-controller: runAsUser must be",
                   "the image's own non-root user is used (runAsNonRoot: true is set and enforced); "
                   "the chart has no pod-level runAsUser"),
    ChartException("pod-security-restricted", "elastic-operator",
                   r"container manager: runAsUser must be",
                   "the image's own non-root user is used (runAsNonRoot: true is set and enforced in "
                   "elastic-system)"),
    ChartException("pod-security-restricted", "kube-prometheus-stack",
                   r"kube-prometheus-stack-grafana .* container grafana: readOnlyRootFilesystem",
                   "Grafana writes its plugin and rendering caches under its home at run time; not "
                   "proven to run read-only here, so the chart's default is kept"),
    ChartException("probes", "elastic-operator", r"container manager: no (liveness|readiness)Probe",
                   "eck-operator 2.16.0 has no probe values; the operator is a single leader-elected "
                   "replica whose health is its reconcile metrics"),
    ChartException("probes", "kube-prometheus-stack", r"container grafana-sc-(dashboard|datasources): no",
                   "the Grafana sidecars serve no port (k8s-sidecar watches ConfigMaps); there is nothing "
                   "to probe"),
    ChartException("pod-disruption-budgets", "external-secrets", r"external-secrets-cert-controller",
                   "one replica that only refreshes the webhook certificate; a PDB on one replica "
                   "would block node drains"),
    ChartException("pod-disruption-budgets", "elastic-operator", r"StatefulSet elastic-system/elastic-operator",
                   "one leader-elected replica; a PDB would block node drains"),
    ChartException("pod-disruption-budgets", "kube-prometheus-stack",
                   r"kube-prometheus-stack-(grafana|kube-state-metrics|operator) ",
                   "single-replica add-ons whose short absence loses no data (Prometheus keeps "
                   "scraping, dashboards wait); a PDB on one replica would block node drains"),
    ChartException("no-secret-data", "aws-load-balancer-controller", r"Secret kube-system/aws-load-balancer-tls",
                   "the webhook's TLS certificate, generated by the chart at install time, never in Git"),
    ChartException("no-secret-data", "kube-prometheus-stack",
                   r"Secret monitoring/alertmanager-kube-prometheus-stack-alertmanager ",
                   "Alertmanager's configuration, rendered by helm-controller from the values; its "
                   "credentials come from the Secret alertmanager-receivers (valuesFrom), never from Git"),
]

_REF = re.compile(r"^\S+ (?:(?P<ns>[^/ ]+)/)?\S+ \((?P<owner>[^:]+): (?P<source>[^)]+)\)")


def waive(policy: str, problems: list[str], enforced: set[str],
          exceptions: list[ChartException] = CHART_EXCEPTIONS) -> tuple[list[str], set[int]]:
    """The problems no exception covers, and the indexes of the exceptions that were used."""
    kept, used = [], set()
    for line in problems:
        m = _REF.match(line)
        source = m.group("source") if m else ""
        hit = None
        if source.startswith(HELM_SOURCE):
            for i, e in enumerate(exceptions):
                if e.policy != policy or source != HELM_SOURCE + e.release or not re.search(e.pattern, line):
                    continue
                if policy == "pod-security-restricted" and m.group("ns") in enforced \
                        and not any(r in line for r in OUR_EXTRA_POD_RULES):
                    continue  # the namespace enforces restricted: the pod would be refused
                hit = i
                break
        if hit is None:
            kept.append(line)
        else:
            used.add(hit)
    return kept, used


def enforced_restricted(objs: list[Obj]) -> set[str]:
    return {o.name for o in objs if o.kind == "Namespace" and
            (o.body.get("metadata", {}).get("labels") or {}).get("pod-security.kubernetes.io/enforce") == "restricted"}
