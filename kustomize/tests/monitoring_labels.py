"""Alerts and dashboards select what the manifests produce.

Every `container`, `job`, `namespace`, `service` and `pod` matcher in our PrometheusRules and
Grafana dashboards (ConfigMaps labelled grafana_dashboard), and the same labels in the promtool
test series and expected alerts, must match a value the rendered cluster yields:

- container: a container name of a workload;
- job: what the Prometheus operator puts in `job` for a ServiceMonitor target — the value of the
  Service label named by `spec.jobLabel`, else the Service's name — or `<namespace>/<name>` of a
  PodMonitor; plus the jobs of `additionalScrapeConfigs` are not used here;
- namespace: a namespace of the cluster;
- service: a Service name;
- pod: a pod name a workload can have (`<deployment>-<hash>-<id>`, `<statefulset>-<n>`, ...).

A `=~` matcher must match at least one such value; `!=`/`!~` and values with Grafana variables
(`$...`) are not checked. The chart's own rules are not ours and are not checked.
"""

from __future__ import annotations

import json
import re

import yaml

from render import Obj

LABELS = ("container", "job", "namespace", "service", "pod")
MATCHER = re.compile(r'\b(container|job|namespace|service|pod)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
SERIES_LABEL = re.compile(r'\b(container|job|namespace|service|pod)\s*=\s*"((?:[^"\\]|\\.)*)"')
HELM_SOURCE = "helm:"


def _selects(selector: dict, labels: dict) -> bool:
    if not selector:
        return True  # an empty selector selects everything
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, vals = e.get("key"), e.get("operator"), e.get("values") or []
        if (op == "In" and labels.get(key) not in vals) or (op == "NotIn" and labels.get(key) in vals) \
                or (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


def universe(objs: list[Obj]) -> dict[str, set[str]]:
    """The values each label can take in the rendered cluster (pod: sample names)."""
    u: dict[str, set[str]] = {k: set() for k in LABELS + ("workload",)}
    services = [o for o in objs if o.kind == "Service"]
    for o in objs:
        body = o.body
        if o.namespace:
            u["namespace"].add(o.namespace)
        if o.kind == "Namespace":
            u["namespace"].add(o.name)
        if o.kind == "Service":
            u["service"].add(o.name)
        tmpl = None
        if o.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            tmpl = body.get("spec", {}).get("template", {})
        elif o.kind == "CronJob":
            tmpl = body.get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template", {})
        if tmpl is not None:
            spec = tmpl.get("spec", {})
            for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
                u["container"].add(c.get("name", ""))
            u["workload"].add(o.name)
            u["pod"].add({"Deployment": f"{o.name}-7d9c8b6f5-abcde", "StatefulSet": f"{o.name}-0",
                          "DaemonSet": f"{o.name}-abcde", "Job": f"{o.name}-abcde",
                          "CronJob": f"{o.name}-29000000-abcde"}.get(o.kind, f"{o.name}-abcde"))
        if o.kind == "ServiceMonitor":
            spec = body.get("spec", {})
            ns_sel = spec.get("namespaceSelector") or {}
            for s in services:
                in_ns = ns_sel.get("any") or s.namespace in (ns_sel.get("matchNames") or [o.namespace])
                labels = s.body.get("metadata", {}).get("labels") or {}
                if in_ns and _selects(spec.get("selector") or {}, labels):
                    job_label = spec.get("jobLabel")
                    u["job"].add(labels.get(job_label) if job_label and labels.get(job_label) else s.name)
        if o.kind == "PodMonitor":
            u["job"].add(body.get("spec", {}).get("jobLabel") and "" or f"{o.namespace}/{o.name}")
    return u


def _problems(where: str, label: str, op: str, value: str, u: dict[str, set[str]]) -> list[str]:
    if op in ("!=", "!~") or "$" in value:
        return []
    if op == "=" and label == "pod":
        # a real pod name is its workload's name, a dash and generated parts
        ok = any(value.startswith(w + "-") and len(value) > len(w) + 1 for w in u["workload"])
    elif op == "=":
        ok = value in u[label]
    else:
        try:
            rx = re.compile(value.replace("\\\\", "\\"))
        except re.error as e:
            return [f"{where}: {label}=~\"{value}\" is not a valid regular expression ({e})"]
        ok = any(rx.fullmatch(v) for v in u[label])
    if ok:
        return []
    known = ", ".join(sorted(u["workload" if label == "pod" else label])[:8]) or "none"
    return [f"{where}: {label}{op}\"{value}\" matches nothing the manifests produce "
            f"({'workloads' if label == 'pod' else label + 's'}: {known}, ...)"]


def check_monitoring_selectors(objs: list[Obj], test_files: dict[str, str]) -> list[str]:
    u = universe(objs)
    out: list[str] = []
    for o in objs:
        if o.source.startswith(HELM_SOURCE):
            continue
        exprs: list[tuple[str, str]] = []
        if o.kind == "PrometheusRule":
            for g in o.body.get("spec", {}).get("groups") or []:
                for r in g.get("rules") or []:
                    exprs.append((f"{o.ref()} {r.get('alert') or r.get('record')}", str(r.get("expr", ""))))
        elif o.kind == "ConfigMap" and (o.body.get("metadata", {}).get("labels") or {}).get("grafana_dashboard"):
            for fname, text in (o.body.get("data") or {}).items():
                try:
                    dash = json.loads(text)
                except ValueError:
                    out.append(f"{o.ref()} {fname}: not JSON")
                    continue
                for p in dash.get("panels") or []:
                    for t in p.get("targets") or []:
                        if "expr" in t:
                            exprs.append((f"{o.ref()} {fname} panel {p.get('title')!r}", t["expr"]))
        for where, expr in exprs:
            for m in MATCHER.finditer(expr):
                out += _problems(where, m.group(1), m.group(2), m.group(3), u)
    for name, text in sorted(test_files.items()):
        doc = yaml.safe_load(text) or {}
        for i, t in enumerate(doc.get("tests") or []):
            for s in t.get("input_series") or []:
                for m in SERIES_LABEL.finditer(s.get("series", "")):
                    out += _problems(f"{name} test {i + 1} series", m.group(1), "=", m.group(2), u)
            for case in t.get("alert_rule_test") or []:
                for exp in case.get("exp_alerts") or []:
                    for k, v in (exp.get("exp_labels") or {}).items():
                        if k in LABELS:
                            out += _problems(f"{name} test {i + 1} {case.get('alertname')} exp_labels",
                                             k, "=", str(v), u)
    return list(dict.fromkeys(out))
