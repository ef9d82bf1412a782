#!/usr/bin/env python3
"""Generates the services' alert rules (rules.yaml) and Grafana dashboard (dashboards/*.json).

    python3 generate.py          # rewrite the files
    python3 generate.py --check  # exit 1 when the committed files differ (the observability suite)

The SLOs, thresholds and alerts are defined here once; the metric catalogue is in
docs/observability.md and every alert has a runbook in docs/runbooks/<AlertName>.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNBOOKS = "https://github.com/conduit-platform/conduit/blob/main/docs/runbooks"

# The services that serve the OpenTelemetry HTTP metrics (the ServiceMonitors' job labels).
JOBS = 'job=~"conduit-(api|web)"'
# The container names in the Deployments (api.yaml, web.yaml): kube-state-metrics labels by them.
# The kustomize suite checks every matcher here against the rendered manifests.
CONTAINERS = "api|web"
# Probes are not user traffic: they stay out of the SLOs.
USER = f'{JOBS}, http_route!~"/healthz|/readyz"'
WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]

AVAILABILITY_TARGET = 0.999  # 99.9 % of requests are not 5xx
LATENCY_TARGET = 0.99  # 99 % of requests complete within LATENCY_THRESHOLD
LATENCY_THRESHOLD = "1"  # seconds, a bucket boundary of http_server_request_duration_seconds

# Multi-window, multi-burn-rate (Google SRE workbook, chapter 5): long window, short window,
# burn rate, severity. 14.4x over 1h spends 2 % of a 30-day budget; 6x over 6h 5 %; 3x over
# 1d 10 %; 1x over 3d 10 %.
BURNS = {
    "Fast": ("critical", [("1h", "5m", 14.4), ("6h", "30m", 6)]),
    "Slow": ("warning", [("1d", "2h", 3), ("3d", "6h", 1)]),
}


def recording_rules() -> list[dict]:
    rules = []
    for w in WINDOWS:
        total = f"sum by (namespace, job) (rate(http_server_request_duration_seconds_count{{{USER}}}[{w}]))"
        errors = (
            f'sum by (namespace, job) (rate(http_server_request_duration_seconds_count{{{USER}, '
            f'http_response_status_code=~"5.."}}[{w}]))'
        )
        fast = (
            f'sum by (namespace, job) (rate(http_server_request_duration_seconds_bucket{{{USER}, '
            f'le="{LATENCY_THRESHOLD}"}}[{w}]))'
        )
        rules += [
            {"record": f"namespace_job:http_server_requests:rate{w}", "expr": total},
            # `or 0 * total`: a service without any 5xx yet has a ratio of 0, not no data.
            {
                "record": f"namespace_job:http_server_errors:ratio_rate{w}",
                "expr": f"({errors}\n  or 0 * {total})\n/\n{total}",
            },
            {
                "record": f"namespace_job:http_server_slow:ratio_rate{w}",
                "expr": f"({total}\n  - {fast})\n/\n{total}",
            },
        ]
    return rules


def alert(name, expr, for_, severity, summary, description) -> dict:
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": f"{RUNBOOKS}/{name}.md",
        },
    }


def slo_alerts() -> list[dict]:
    out = []
    for slo, metric, target, what in [
        ("Availability", "errors", AVAILABILITY_TARGET, "5xx responses"),
        ("Latency", "slow", LATENCY_TARGET, f"requests slower than {LATENCY_THRESHOLD} s"),
    ]:
        budget = round(1 - target, 6)
        for speed, (severity, pairs) in BURNS.items():
            terms = []
            for long, short, rate in pairs:
                threshold = round(rate * budget, 6)
                terms.append(
                    f"(namespace_job:http_server_{metric}:ratio_rate{long} > {threshold}\n"
                    f" and namespace_job:http_server_{metric}:ratio_rate{short} > {threshold})"
                )
            windows = " or ".join(f"{rate}x over {long}" for long, _, rate in pairs)
            out.append(
                alert(
                    f"Conduit{slo}BudgetBurn{speed}",
                    "\n or\n".join(terms),
                    "2m" if speed == "Fast" else "15m",
                    severity,
                    f"{{{{ $labels.job }}}} is burning its {slo.lower()} error budget {'fast' if speed == 'Fast' else 'steadily'}",
                    f"{{{{ $labels.job }}}} in {{{{ $labels.namespace }}}}: {what} are consuming the "
                    f"{budget * 100:g} % error budget of the {target * 100:g} % {slo.lower()} SLO "
                    f"at {windows} (burn rate). Current ratio: {{{{ $value | humanizePercentage }}}}.",
                )
            )
    return out


def other_alerts() -> list[dict]:
    return [
        alert(
            "ConduitTargetDown",
            f"up{{{JOBS}}} == 0",
            "5m",
            "critical",
            "Prometheus cannot scrape {{ $labels.job }} pod {{ $labels.pod }}",
            "The admin port (9464) of {{ $labels.pod }} has not answered /metrics for 5 minutes: "
            "the pod is down, hung, or the admin listener is not reachable.",
        ),
        alert(
            "ConduitPodCrashLooping",
            'max by (namespace, pod, container) (kube_pod_container_status_waiting_reason{namespace="conduit", '
            f'container=~"{CONTAINERS}", reason="CrashLoopBackOff"}}) >= 1',
            "5m",
            "warning",
            "{{ $labels.container }} in {{ $labels.pod }} is crash-looping",
            "The container has been in CrashLoopBackOff for 5 minutes. Its last log lines usually "
            "name the cause (configuration error, database unreachable at start-up, OOM kill).",
        ),
        alert(
            "ConduitDbPoolSaturated",
            "sum by (namespace, job, pod) (db_client_connections_usage{db_client_connections_state=\"used\"})\n"
            "/\nsum by (namespace, job, pod) (db_client_connections_max) >= 0.9\n"
            "or\nsum by (namespace, job, pod) (db_client_connections_pending_requests) > 0",
            "10m",
            "warning",
            "The database pool of {{ $labels.pod }} is saturated",
            "For 10 minutes at least 90 % of the pool's connections have been in use, or requests "
            "have been waiting for a connection. Requests slow down and then fail with 503 after "
            "CONDUIT_DB_POOL_TIMEOUT_MS.",
        ),
        alert(
            "ConduitDbErrors",
            "sum by (namespace, job, kind) (rate(conduit_db_errors_total[5m])) > 0.05",
            "5m",
            "warning",
            "{{ $labels.job }} requests fail because of the database ({{ $labels.kind }})",
            "More than 3 requests a minute have failed with a database error of kind "
            "{{ $labels.kind }} for 5 minutes (unavailable: pool timeout, refused or lost connection; "
            "internal: other database errors). Current rate: {{ $value | humanize }}/s.",
        ),
        alert(
            "ConduitRedisFallbackActive",
            "max by (namespace, job, pod) (conduit_redis_fallback_active) == 1",
            "5m",
            "warning",
            "{{ $labels.pod }} runs without Redis (fallback mode)",
            "The pod cannot reach Redis and has used its in-process fallback for sessions, cache and "
            "rate limits for 5 minutes: sessions are not shared between replicas and limits are per pod.",
        ),
        alert(
            "ConduitRedisDown",
            "min by (namespace, job) (conduit_redis_fallback_active) == 1",
            "10m",
            "critical",
            "Redis is unreachable from every {{ $labels.job }} pod",
            "All pods of {{ $labels.job }} have been in Redis fallback mode for 10 minutes: "
            "the ElastiCache cluster, its network path or its credentials are broken.",
        ),
        alert(
            "ConduitRateLimitSpike",
            "sum by (namespace, job) (rate(conduit_ratelimit_rejections_total[5m]))\n/\n"
            f"sum by (namespace, job) (rate(http_server_request_duration_seconds_count{{{USER}}}[5m])) > 0.05",
            "10m",
            "warning",
            "{{ $labels.job }} rejects {{ $value | humanizePercentage }} of requests with 429",
            "More than 5 % of requests have been rate-limited for 10 minutes: an abusive client, a "
            "retry storm, or limits too low for real traffic.",
        ),
        alert(
            "ConduitNoSuccessfulLogins",
            "sum by (namespace, job) (increase(conduit_logins_failed_total[30m])) > 5\nunless on (namespace, job)\n"
            'sum by (namespace, job) (increase(http_server_request_duration_seconds_count{job="conduit-api", '
            'http_route="/api/users/login", http_response_status_code="200"}[30m])) > 0',
            "5m",
            "warning",
            "Nobody has logged in successfully for 30 minutes, but logins are failing",
            "{{ $labels.job }} rejected more than 5 logins in 30 minutes and accepted none: "
            "a broken password check, a bad deploy of the auth code, or a credential-stuffing attack.",
        ),
    ]


def prometheus_rules() -> str:
    objects = [
        (
            "conduit-slo",
            "SLO recording rules and multi-window multi-burn-rate alerts (availability, latency).",
            [
                {"name": "conduit-slo.recording", "interval": "30s", "rules": recording_rules()},
                {"name": "conduit-slo.alerts", "rules": slo_alerts()},
            ],
        ),
        (
            "conduit-alerts",
            "Cause-oriented alerts: scrape, crash loops, database pool and errors, Redis, rate limits, logins.",
            [{"name": "conduit.alerts", "rules": other_alerts()}],
        ),
    ]
    out = [
        "# GENERATED by generate.py from the SLO and alert definitions there: edit it, then run\n"
        "# `python3 generate.py`. Tested by tests/*.yaml (promtool test rules, observability suite).\n"
    ]
    for i, (name, about, groups) in enumerate(objects):
        body = {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {
                "name": name,
                "labels": {"app.kubernetes.io/name": "conduit", "release": "kube-prometheus-stack"},
                "annotations": {"conduit/about": about},
            },
            "spec": {"groups": groups},
        }
        if i:
            out.append("---\n")
        out.append(to_yaml(body))
    return "".join(out)


def to_yaml(value, indent: int = 0) -> str:
    """A small YAML emitter: block style, multi-line strings as literal blocks."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:\n{to_yaml(v, indent + 2)}")
            elif isinstance(v, str) and "\n" in v:
                block = "\n".join((pad + "  " + l) if l else "" for l in v.split("\n"))
                lines.append(f"{pad}{k}: |-\n{block}\n")
            else:
                lines.append(f"{pad}{k}: {scalar(v)}\n")
        return "".join(lines)
    if isinstance(value, list):
        lines = []
        for item in value:
            text = to_yaml(item, indent + 2)
            lines.append(f"{pad}- {text[indent + 2:]}")
        return "".join(lines)
    return f"{pad}{scalar(value)}\n"


def scalar(v) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# ---------------------------------------------------------------------------------------
# Dashboard

DS = {"type": "prometheus", "uid": "${datasource}"}
API = 'job="conduit-api"'
WEB = 'job="conduit-web"'


def panel(title, targets, x, y, w=12, h=8, unit="short", kind="timeseries", description=""):
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "right"}} if kind == "timeseries" else {},
        "targets": [
            {"refId": chr(65 + i), "expr": expr, "legendFormat": legend, "datasource": DS}
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def row(title, y):
    return {"type": "row", "title": title, "collapsed": False, "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []}


def red_panels(sel: str) -> list[dict]:
    """Requests, errors and duration per route, and the SLO burn: the same for both services."""
    count = "http_server_request_duration_seconds_count"
    bucket = "http_server_request_duration_seconds_bucket"
    return [
        row("RED per route", 0),
        panel(
            "Requests per second by route",
            [(f"sum by (http_route, http_request_method) (rate({count}{{{sel}}}[$__rate_interval]))",
              "{{http_request_method}} {{http_route}}")],
            0, 1, unit="reqps",
        ),
        panel(
            "Error ratio (5xx) by route",
            [(f'sum by (http_route) (rate({count}{{{sel}, http_response_status_code=~"5.."}}[$__rate_interval]))\n'
              f"/\nsum by (http_route) (rate({count}{{{sel}}}[$__rate_interval]))", "{{http_route}}")],
            12, 1, unit="percentunit",
        ),
        panel(
            "p50 / p99 latency by route",
            [(f"histogram_quantile(0.99, sum by (http_route, le) (rate({bucket}{{{sel}}}[$__rate_interval])))",
              "p99 {{http_route}}"),
             (f"histogram_quantile(0.5, sum by (http_route, le) (rate({bucket}{{{sel}}}[$__rate_interval])))",
              "p50 {{http_route}}")],
            0, 9, unit="s",
        ),
        panel(
            "Responses by status code; requests in flight",
            [(f"sum by (http_response_status_code) (rate({count}{{{sel}}}[$__rate_interval]))",
              "{{http_response_status_code}}"),
             (f"sum (http_server_active_requests{{{sel}}})", "in flight")],
            12, 9,
        ),
        row("SLOs and error budget burn", 17),
        panel(
            "Availability: 5xx ratio (1h, 6h, 1d) vs budget 0.1 %",
            [(f'namespace_job:http_server_errors:ratio_rate{w}{{{sel}}}', w) for w in ("1h", "6h", "1d")]
            + [("vector(0.001)", "budget")],
            0, 18, unit="percentunit",
        ),
        panel(
            "Latency: share of requests over 1 s (1h, 6h, 1d) vs budget 1 %",
            [(f'namespace_job:http_server_slow:ratio_rate{w}{{{sel}}}', w) for w in ("1h", "6h", "1d")]
            + [("vector(0.01)", "budget")],
            12, 18, unit="percentunit",
        ),
        panel(
            "Burn rate (1h): availability and latency",
            [(f'namespace_job:http_server_errors:ratio_rate1h{{{sel}}} / 0.001', "availability"),
             (f'namespace_job:http_server_slow:ratio_rate1h{{{sel}}} / 0.01', "latency")],
            0, 26, w=24, h=6,
            description="1 spends the 30-day budget exactly; the fast-burn page fires above 14.4.",
        ),
    ]


def process_panels(sel: str, build_info: str, y: int) -> list[dict]:
    return [
        row("Process", y),
        panel(
            "CPU (cores) per pod",
            [(f"rate(process_cpu_seconds_total{{{sel}}}[$__rate_interval])", "cpu {{pod}}")],
            0, y + 1,
        ),
        panel(
            "Resident memory, open file descriptors per pod",
            [(f"process_resident_memory_bytes{{{sel}}}", "rss {{pod}}"),
             (f"process_open_fds{{{sel}}}", "fds {{pod}}")],
            12, y + 1,
        ),
        panel(
            "Versions running",
            [(f"count by (version, revision) ({build_info}{{{sel}}})", "{{version}} ({{revision}})")],
            0, y + 9, w=24, h=5, kind="table",
        ),
    ]


def api_panels() -> list[dict]:
    sel = f'{API}, namespace="$namespace"'
    return red_panels(sel) + [
        row("Database", 32),
        panel(
            "Pool connections by state; pool size",
            [(f"sum by (db_client_connections_state) (db_client_connections_usage{{{sel}}})",
              "{{db_client_connections_state}}"),
             (f"sum (db_client_connections_max{{{sel}}})", "max")],
            0, 33,
        ),
        panel(
            "Requests waiting for a connection; database errors",
            [(f"sum (db_client_connections_pending_requests{{{sel}}})", "waiting"),
             (f"sum by (kind) (rate(conduit_db_errors_total{{{sel}}}[$__rate_interval]))", "errors/s {{kind}}")],
            12, 33,
        ),
        row("Redis: cache, rate limits, fallback", 41),
        panel(
            "Cache hit ratio by cache",
            [(f'sum by (cache) (rate(conduit_cache_requests_total{{{sel}, result="hit"}}[$__rate_interval]))\n'
              f"/\nsum by (cache) (rate(conduit_cache_requests_total{{{sel}}}[$__rate_interval]))", "{{cache}}")],
            0, 42, w=8, unit="percentunit",
        ),
        panel(
            "Rate-limit rejections (429/s)",
            [(f"sum (rate(conduit_ratelimit_rejections_total{{{sel}}}[$__rate_interval]))", "rejected")],
            8, 42, w=8, unit="reqps",
        ),
        panel(
            "Redis p99 command latency; errors; pods in fallback",
            [(f"histogram_quantile(0.99, sum by (le) (rate(conduit_redis_command_duration_seconds_bucket{{{sel}}}[$__rate_interval])))",
              "p99"),
             (f"sum (rate(conduit_redis_errors_total{{{sel}}}[$__rate_interval]))", "errors/s"),
             (f"sum (conduit_redis_fallback_active{{{sel}}})", "pods in fallback")],
            16, 42, w=8,
        ),
        row("Business", 50),
        panel(
            "Sign-ups, articles, comments, failed logins (per hour)",
            [(f"sum (increase(conduit_users_registered_total{{{sel}}}[1h]))", "users registered"),
             (f"sum (increase(conduit_articles_published_total{{{sel}}}[1h]))", "articles published"),
             (f"sum (increase(conduit_comments_posted_total{{{sel}}}[1h]))", "comments posted"),
             (f"sum (increase(conduit_logins_failed_total{{{sel}}}[1h]))", "logins failed")],
            0, 51, w=24,
        ),
    ] + process_panels(sel, "conduit_build_info", 59)


def web_panels() -> list[dict]:
    sel = f'{WEB}, namespace="$namespace"'
    render = "conduit_web_render_duration_seconds"
    api = "conduit_web_api_call_duration_seconds"
    return red_panels(sel) + [
        row("Server-side rendering", 32),
        panel(
            "Renders per second by template",
            [(f"sum by (template) (rate({render}_count{{{sel}}}[$__rate_interval]))", "{{template}}")],
            0, 33, unit="reqps",
        ),
        panel(
            "p50 / p99 render time by template (API calls included)",
            [(f"histogram_quantile(0.99, sum by (template, le) (rate({render}_bucket{{{sel}}}[$__rate_interval])))",
              "p99 {{template}}"),
             (f"histogram_quantile(0.5, sum by (template, le) (rate({render}_bucket{{{sel}}}[$__rate_interval])))",
              "p50 {{template}}")],
            12, 33, unit="s",
        ),
        row("Calls to the API while rendering", 41),
        panel(
            "API calls per second by operation and status (0: API unreachable)",
            [(f"sum by (operation, http_response_status_code) (rate({api}_count{{{sel}}}[$__rate_interval]))",
              "{{operation}} {{http_response_status_code}}")],
            0, 42, unit="reqps",
        ),
        panel(
            "Failed API calls (unreachable or 5xx) ratio; p99 API call time by operation",
            [(f'sum (rate({api}_count{{{sel}, http_response_status_code=~"0|5.."}}[$__rate_interval]))\n'
              f"/\nsum (rate({api}_count{{{sel}}}[$__rate_interval]))", "failed ratio"),
             (f"histogram_quantile(0.99, sum by (operation, le) (rate({api}_bucket{{{sel}}}[$__rate_interval])))",
              "p99 {{operation}}")],
            12, 42,
            description="A failed call renders an error page or an empty list; the API's own dashboard "
            "tells why.",
        ),
    ] + process_panels(sel, "conduit_web_build_info", 50)


def logs_link(container: str) -> dict:
    return {
        "title": "Logs (CloudWatch Logs Insights, application log group)",
        "type": "link",
        "targetBlank": True,
        "url": "/explore?left=" + json.dumps({
            "datasource": "cloudwatch",
            "queries": [{
                "refId": "A",
                "queryMode": "Logs",
                "logGroupNames": ["/aws/eks/conduit-${environment}/application"],
                "expression": "fields @timestamp, level, route, status, latency_ms, trace_id, request_id, message "
                f"| filter kubernetes.container_name = \"{container}\" and kubernetes.namespace_name = \"conduit\" "
                "| sort @timestamp desc | limit 200",
            }],
            "range": {"from": "now-1h", "to": "now"},
        }, separators=(",", ":")),
    }


def dashboard(uid: str, title: str, description: str, panels: list[dict], container: str,
              build_info: str) -> dict:
    for i, p in enumerate(panels):
        p["id"] = i + 1
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["conduit"],
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "timezone": "utc",
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"},
                {
                    "name": "environment",
                    "type": "custom",
                    "label": "Environment (log group)",
                    "query": "production,staging",
                    "current": {"text": "production", "value": "production"},
                },
                {
                    "name": "namespace",
                    "type": "query",
                    "datasource": DS,
                    "query": {"query": f"label_values({build_info}, namespace)", "refId": "namespace"},
                    "definition": f"label_values({build_info}, namespace)",
                    "refresh": 2,
                    "current": {"text": "conduit", "value": "conduit"},
                },
            ]
        },
        "links": [
            logs_link(container),
            {
                "title": "Runbooks",
                "type": "link",
                "targetBlank": True,
                "url": f"{RUNBOOKS}/README.md",
            },
        ],
        "panels": panels,
    }


def dashboards() -> dict[str, dict]:
    return {
        "conduit-api": dashboard(
            "conduit-api", "Conduit API",
            "RED per route, SLO burn, database pool, Redis cache and rate limits, business counters. "
            "Metric catalogue: docs/observability.md.",
            api_panels(), "api", "conduit_build_info"),
        "conduit-web": dashboard(
            "conduit-web", "Conduit web (server-side rendering)",
            "RED per page route, SLO burn, rendering time per template, the API calls made while "
            "rendering. Metric catalogue: docs/observability.md.",
            web_panels(), "web", "conduit_web_build_info"),
    }


def outputs() -> dict[Path, str]:
    out = {HERE / "rules.yaml": prometheus_rules()}
    for name, d in dashboards().items():
        out[HERE / "dashboards" / f"{name}.json"] = json.dumps(d, indent=2, sort_keys=False) + "\n"
    return out


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for path, text in outputs().items():
        if check:
            if not path.is_file() or path.read_text() != text:
                stale.append(path.relative_to(HERE).as_posix())
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(HERE)}")
    if stale:
        print(f"out of date (run python3 generate.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
