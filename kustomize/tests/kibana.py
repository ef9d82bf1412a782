"""The Kibana saved objects of the ELK option hold together (offline).

On a cluster's rendered objects: the ConfigMap that carries `kibana-objects.ndjson` (imported by
the Job kibana-saved-objects) and the ConfigMap that carries the index template
(`index-template.json`, applied by the Job elasticsearch-index-lifecycle):

- every line is a saved object with a type and an id, ids unique per type;
- every reference names an object of the file (an import with a dangling reference fails);
- a dashboard panel's `panelRefName` has its reference `<panelIndex>:<panelRefName>` and a saved
  search's `indexRefName` its reference (Kibana 8.17 inject/extract naming);
- the data view's title matches the template's index patterns, and every field a saved search
  queries (KQL) or shows as a column is mapped by the template (else the search finds nothing).
"""

from __future__ import annotations

import fnmatch
import json
import re

from render import Obj

KQL_FIELD = re.compile(r"([A-Za-z_@][\w.@]*)\s*(?::|>=|<=|>|<)")


def _mapped_fields(props: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in (props or {}).items():
        out.add(prefix + k)
        out |= _mapped_fields((v or {}).get("properties") or {}, prefix + k + ".")
    return out


def _file(objs: list[Obj], name: str) -> list[tuple[Obj, str]]:
    return [(o, (o.body.get("data") or {})[name]) for o in objs
            if o.kind == "ConfigMap" and name in (o.body.get("data") or {})]


def check_kibana_objects(objs: list[Obj]) -> list[str]:
    out: list[str] = []
    templates = _file(objs, "index-template.json")
    for cm, text in _file(objs, "kibana-objects.ndjson"):
        where = f"{cm.ref()} kibana-objects.ndjson"
        same_ns = [json.loads(t) for o, t in templates if o.namespace == cm.namespace]
        if not same_ns:
            out.append(f"{where}: no index template (index-template.json) beside it")
            continue
        tmpl = same_ns[0]
        fields = _mapped_fields(tmpl.get("template", {}).get("mappings", {}).get("properties"))
        patterns = tmpl.get("index_patterns") or []
        saved: dict[tuple[str, str], dict] = {}
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                o = json.loads(line)
            except ValueError as e:
                out.append(f"{where} line {n}: not JSON ({e})")
                continue
            key = (o.get("type"), o.get("id"))
            if not all(key):
                out.append(f"{where} line {n}: no type or id")
            elif key in saved:
                out.append(f"{where} line {n}: {key[0]} {key[1]} twice")
            saved[key] = o
        for (typ, oid), o in saved.items():
            what = f"{where} {typ} {oid}"
            refs = {r.get("name"): (r.get("type"), r.get("id")) for r in o.get("references") or []}
            for name, target in refs.items():
                if target not in saved:
                    out.append(f"{what}: reference {name} -> {target[0]} {target[1]}, which is not in the file")
            attrs = o.get("attributes") or {}
            if typ == "index-pattern":
                title = attrs.get("title", "")
                if not any(fnmatch.fnmatch(title.replace("*", "x"), p) for p in patterns):
                    out.append(f"{what}: title {title!r} matches no index pattern of the template {patterns}")
            if typ == "dashboard":
                for p in json.loads(attrs.get("panelsJSON") or "[]"):
                    ref = f"{p.get('panelIndex')}:{p.get('panelRefName')}"
                    if p.get("panelRefName") and ref not in refs:
                        out.append(f"{what}: panel {p.get('panelIndex')} needs a reference named {ref}")
            if typ == "search":
                src = json.loads((attrs.get("kibanaSavedObjectMeta") or {}).get("searchSourceJSON") or "{}")
                if src.get("indexRefName") not in refs:
                    out.append(f"{what}: indexRefName {src.get('indexRefName')!r} has no reference")
                used = set(KQL_FIELD.findall((src.get("query") or {}).get("query", ""))) | \
                    set(attrs.get("columns") or [])
                for f in sorted(used - fields):
                    out.append(f"{what}: field {f} is not mapped by the index template")
    return out
