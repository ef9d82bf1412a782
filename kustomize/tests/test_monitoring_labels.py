"""Self-tests of monitoring_labels.py: a matcher or test series naming a container, job,
namespace, service or pod that the manifests do not produce must fail."""

from __future__ import annotations

import json
import sys
import unittest
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from monitoring_labels import check_monitoring_selectors  # noqa: E402
from render import Obj  # noqa: E402

BASE = list(yaml.safe_load_all("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: conduit-api, namespace: conduit}
spec:
  template:
    spec:
      containers: [{name: api, image: "x:1"}]
---
apiVersion: v1
kind: Service
metadata: {name: conduit-api, namespace: conduit, labels: {app.kubernetes.io/name: conduit-api}}
spec: {selector: {app: api}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: conduit-api, namespace: conduit}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: conduit-api}}
  endpoints: [{port: admin}]
"""))


def cluster(*extra) -> list[Obj]:
    return [Obj(b, "apps", "test") for b in BASE + list(extra)]


def rule(expr: str) -> dict:
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
            "metadata": {"name": "r", "namespace": "conduit"},
            "spec": {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": expr}]}]}}


def dashboard(expr: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "d", "namespace": "conduit", "labels": {"grafana_dashboard": "1"}},
            "data": {"d.json": json.dumps({"panels": [{"title": "p", "targets": [{"expr": expr}]}]})}}


CRASHLOOP = ('kube_pod_container_status_waiting_reason{namespace="conduit", '
             'container=~"%s", reason="CrashLoopBackOff"} >= 1')


class Matchers(unittest.TestCase):
    def test_the_crash_loop_alert_of_issue_16(self):
        self.assertEqual(check_monitoring_selectors(cluster(rule(CRASHLOOP % "api|web")), {}), [])
        problems = check_monitoring_selectors(cluster(rule(CRASHLOOP % "conduit-(api|web)")), {})
        self.assertEqual(len(problems), 1, problems)
        self.assertIn('container=~"conduit-(api|web)" matches nothing', problems[0])

    def test_job_namespace_service_pod(self):
        good = 'up{job="conduit-api", namespace="conduit", service="conduit-api", pod=~"conduit-api-.*"}'
        self.assertEqual(check_monitoring_selectors(cluster(rule(good)), {}), [])
        for bad in ['up{job="api"}', 'up{namespace="conduit-staging"}', 'up{service="api"}',
                    'up{pod=~"api-.*"}', 'up{job=~"conduit-(api"}']:
            with self.subTest(bad):
                self.assertTrue(check_monitoring_selectors(cluster(rule(bad)), {}))
        # negative matchers and Grafana variables are not checked
        self.assertEqual(check_monitoring_selectors(cluster(rule('up{job!="x", namespace="$ns"}')), {}), [])

    def test_dashboards(self):
        self.assertEqual(check_monitoring_selectors(cluster(dashboard('up{job="conduit-api"}')), {}), [])
        self.assertTrue(check_monitoring_selectors(cluster(dashboard('up{job="conduit-apii"}')), {}))

    def test_job_label_from_the_service_monitor(self):
        sm = BASE[2]
        sm_with_label = dict(sm, spec=dict(sm["spec"], jobLabel="app.kubernetes.io/name"))
        objs = [Obj(b, "apps", "test") for b in (BASE[0], BASE[1], sm_with_label, rule('up{job="conduit-api"}'))]
        self.assertEqual(check_monitoring_selectors(objs, {}), [])
        unselected = dict(sm, spec=dict(sm["spec"], selector={"matchLabels": {"x": "y"}}))
        objs = [Obj(b, "apps", "test") for b in (BASE[0], BASE[1], unselected, rule('up{job="conduit-api"}'))]
        self.assertTrue(check_monitoring_selectors(objs, {}))


class PromtoolTests(unittest.TestCase):
    def test_series_and_expected_labels(self):
        good = """
tests:
  - input_series:
      - series: 'kube_pod_container_status_waiting_reason{namespace="conduit", pod="conduit-api-6d5f8b7c9-pod01", container="api"}'
    alert_rule_test:
      - alertname: A
        exp_alerts: [{exp_labels: {container: api, pod: conduit-api-6d5f8b7c9-pod01}}]
"""
        self.assertEqual(check_monitoring_selectors(cluster(), {"t.test.yaml": good}), [])
        # the promtool test of issue 16: the same wrong container names as the rule
        bad = good.replace('container="api"', 'container="conduit-api"').replace("container: api", "container: conduit-api")
        self.assertEqual(len(check_monitoring_selectors(cluster(), {"t.test.yaml": bad})), 2)
        short_pod = good.replace("conduit-api-6d5f8b7c9-pod01", "api-1")
        self.assertTrue(check_monitoring_selectors(cluster(), {"t.test.yaml": short_pod}))


if __name__ == "__main__":
    unittest.main()
