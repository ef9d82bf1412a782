#!/usr/bin/env python3
"""Generates kibana-objects.ndjson: the Kibana data view, saved searches and dashboard of the
ELK option, imported by the Job kibana-saved-objects (setup-kibana.sh) with overwrite, so the
fixed ids make the import idempotent.

    python3 kibana_objects.py          # rewrite kibana-objects.ndjson
    python3 kibana_objects.py --check  # exit 1 when the committed file differs (kustomize suite)

The format is Kibana 8.17's saved-objects export (one object per line; dashboard panels refer to
their saved search through `panelRefName` and a reference named `<panelIndex>:panel_<panelIndex>`,
elastic/kibana src/plugins/dashboard/common/dashboard_container/persistable_state/
dashboard_container_references.ts). Every field a query or column names must be mapped in
index-template.json; the kustomize suite checks that and every reference.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "kibana-objects.ndjson"
DATA_VIEW = "conduit-logs"
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"

# id, title, KQL query, columns
SEARCHES = [
    ("conduit-errors", "Conduit: errors",
     'kubernetes.namespace_name : "conduit" and level : "ERROR"',
     ["kubernetes.container_name", "message", "route", "trace_id"]),
    ("conduit-5xx", "Conduit: failed requests (5xx)",
     'kubernetes.namespace_name : "conduit" and status >= 500',
     ["kubernetes.container_name", "route", "status", "latency_ms", "trace_id"]),
    ("conduit-slow", "Conduit: slow requests (over 1 s)",
     'kubernetes.namespace_name : "conduit" and latency_ms >= 1000',
     ["kubernetes.container_name", "route", "status", "latency_ms", "trace_id"]),
    ("conduit-all", "Conduit: all logs of the app",
     'kubernetes.namespace_name : "conduit"',
     ["kubernetes.container_name", "level", "message", "route", "status", "trace_id"]),
]


def search_source(query: str, index: bool) -> str:
    src = {"query": {"query": query, "language": "kuery"}, "filter": []}
    if index:
        src["indexRefName"] = INDEX_REF
    return json.dumps(src, separators=(",", ":"))


def objects() -> list[dict]:
    out = [{
        "type": "index-pattern",
        "id": DATA_VIEW,
        "attributes": {"title": "conduit-logs-*", "name": "Conduit logs", "timeFieldName": "@timestamp"},
        "references": [],
    }]
    for sid, title, query, columns in SEARCHES:
        out.append({
            "type": "search",
            "id": sid,
            "attributes": {
                "title": title,
                "description": "",
                "columns": columns,
                "sort": [["@timestamp", "desc"]],
                "kibanaSavedObjectMeta": {"searchSourceJSON": search_source(query, True)},
            },
            "references": [{"name": INDEX_REF, "type": "index-pattern", "id": DATA_VIEW}],
        })
    panels, refs = [], []
    for i, (sid, _title, _q, _c) in enumerate(SEARCHES):
        pid = str(i + 1)
        panels.append({
            "version": "8.17.0",
            "type": "search",
            "gridData": {"x": 0 if i % 2 == 0 else 24, "y": (i // 2) * 15, "w": 24, "h": 15, "i": pid},
            "panelIndex": pid,
            "embeddableConfig": {},
            "panelRefName": f"panel_{pid}",
        })
        refs.append({"name": f"{pid}:panel_{pid}", "type": "search", "id": sid})
    out.append({
        "type": "dashboard",
        "id": "conduit-logs-overview",
        "attributes": {
            "title": "Conduit logs",
            "description": "Errors, failed and slow requests and all log lines of the conduit namespace "
            "(Fluent Bit to Elasticsearch; the same lines as CloudWatch Logs).",
            "panelsJSON": json.dumps(panels, separators=(",", ":")),
            "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}, separators=(",", ":")),
            "timeRestore": True,
            "timeFrom": "now-24h",
            "timeTo": "now",
            "refreshInterval": {"pause": False, "value": 60000},
            "kibanaSavedObjectMeta": {"searchSourceJSON": search_source("", False)},
        },
        "references": refs,
    })
    return out


def render() -> str:
    return "".join(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n" for o in objects())


def main() -> int:
    if "--check" in sys.argv[1:]:
        if not OUT.is_file() or OUT.read_text() != render():
            print(f"out of date (run python3 {Path(__file__).name}): {OUT.name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(render())
    print(f"wrote {OUT.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
