"""Self-tests of helm.py: the HelmRelease rendering, the unread-values check and the chart
exceptions must each reject a fault.

KUSTOMIZE_HELM_CHARTS (the pinned chart directory) must be set; the tests are skipped without it
or without the helm-python-sdk package (the suite always provides both).
"""

from __future__ import annotations

import copy
import os
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import helm  # noqa: E402
import policies  # noqa: E402
from render import Obj  # noqa: E402

CHARTS = Path(os.environ.get("KUSTOMIZE_HELM_CHARTS", "/nonexistent"))
try:
    import helm_python  # noqa: F401
    HAVE_HELM = True
except ImportError:
    HAVE_HELM = False

RESOURCES = {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}


def metrics_server(values: dict, **spec) -> Obj:
    body = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": {"name": "metrics-server", "namespace": "flux-system"},
            "spec": {"releaseName": "metrics-server", "targetNamespace": "kube-system",
                     "chart": {"spec": {"chart": "metrics-server", "version": "3.13.1"}},
                     "values": values, **spec}}
    return Obj(body, "infra", "test")


class Values(unittest.TestCase):
    def test_stubs_and_merge_order(self):
        spec = {"valuesFrom": [{"kind": "Secret", "name": "s", "valuesKey": "url",
                                "targetPath": "a.b\\.c"},
                               {"kind": "ConfigMap", "name": "whole"}],
                "values": {"a": {"x": 1}}}
        self.assertEqual(helm.stubbed_values(spec), {"a": {"b.c": "stub-Secret-s-url", "x": 1}})
        spec["values"] = {"a": {"b.c": "ours"}}
        self.assertEqual(helm.stubbed_values(spec)["a"]["b.c"], "ours")

    def test_release_name(self):
        hr = {"metadata": {"name": "x"}, "spec": {}}
        self.assertEqual(helm.release_name(hr), "x")
        hr["spec"]["targetNamespace"] = "t"
        self.assertEqual(helm.release_name(hr), "t-x")
        hr["spec"]["releaseName"] = "r"
        self.assertEqual(helm.release_name(hr), "r")


@unittest.skipUnless(HAVE_HELM and CHARTS.is_dir(), "needs helm-python-sdk and the pinned charts")
class UnreadValues(unittest.TestCase):
    def unread(self, chart: str, values: dict) -> list[str]:
        d = CHARTS / chart
        schema = helm._helm().Chart.load(str(d)).schema
        return helm.unread_values(values, helm.chart_defaults(d), helm.chart_sources(d), schema)

    def test_unknown_keys_fail(self):
        good = {"replicas": 2, "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
                "resources": {"limits": {"cpu": "1"}}}
        self.assertEqual(self.unread("metrics-server-3.13.1", good), [])
        bad = copy.deepcopy(good)
        bad["replicaCount"] = 2                          # another chart's name for it
        bad["podDisruptionBudget"]["minAvailble"] = 1    # a typo
        self.assertEqual(sorted(self.unread("metrics-server-3.13.1", bad)),
                         ["podDisruptionBudget.minAvailble", "replicaCount"])

    def test_subcharts_and_pass_through_blocks(self):
        ok = {"grafana": {"sidecar": {"dashboards": {"label": "x"}},
                          "grafana.ini": {"users": {"allow_sign_up": False}},
                          "serviceAccount": {"annotations": {"a": "b"}}},
              "alertmanager": {"config": {"route": {"receiver": "x"}}}}
        self.assertEqual(self.unread("kube-prometheus-stack-88.5.3", ok), [])
        bad = copy.deepcopy(ok)
        bad["grafana"]["sidecar"]["dashboards"]["labell"] = "x"
        bad["prometheus"] = {"prometheusSpec": {"retentionn": "1d"}}
        self.assertEqual(sorted(self.unread("kube-prometheus-stack-88.5.3", bad)),
                         ["grafana.sidecar.dashboards.labell", "prometheus.prometheusSpec.retentionn"])


@unittest.skipUnless(HAVE_HELM and CHARTS.is_dir(), "needs helm-python-sdk and the pinned charts")
class Rendering(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = helm.Renderer(CHARTS, "1.33")

    def render(self, hr: Obj):
        return self.r.render_cluster([hr])

    def test_rendered_objects_meet_the_policies(self):
        objs, problems = self.render(metrics_server({"resources": RESOURCES}))
        self.assertEqual(problems, [])
        deploy = [o for o in objs if o.kind == "Deployment"]
        self.assertEqual([(o.namespace, o.source) for o in deploy], [("kube-system", "helm:metrics-server")])
        self.assertEqual(policies.check_resources(objs), [])

    def test_a_rendered_object_failing_a_policy_fails(self):
        objs, _ = self.render(metrics_server({"image": {"tag": "latest"}}))
        self.assertTrue(policies.check_images(objs))
        limits = policies.check_resources(objs)
        self.assertTrue(any("no limits.cpu" in p for p in limits), limits)
        # and no chart exception waives it
        self.assertEqual(helm.waive("requests-and-limits", limits, set())[0], limits)

    def test_render_error_and_missing_chart_are_findings(self):
        bad = metrics_server({"resources": RESOURCES})
        bad.body["spec"]["chart"]["spec"]["version"] = "0.0.1"
        _, problems = self.render(bad)
        self.assertTrue(any("not found" in p for p in problems), problems)

    def test_capabilities_include_the_cluster_crds(self):
        """fluent-bit's ServiceMonitor renders only where monitoring.coreos.com/v1 is served."""
        hr = Obj({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                  "metadata": {"name": "fluent-bit", "namespace": "logging"},
                  "spec": {"chart": {"spec": {"chart": "fluent-bit", "version": "0.58.1"}},
                           "values": {"serviceMonitor": {"enabled": True}}}}, "logging", "test")
        alone, _ = self.render(hr)
        self.assertNotIn("ServiceMonitor", {o.kind for o in alone})
        crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "servicemonitors.monitoring.coreos.com"},
               "spec": {"group": "monitoring.coreos.com", "names": {"kind": "ServiceMonitor"},
                        "versions": [{"name": "v1", "served": True}]}}
        with_crd, _ = self.r.render_cluster([Obj(crd, "monitoring", "test"), hr])
        self.assertIn("ServiceMonitor", {o.kind for o in with_crd})


class Exceptions(unittest.TestCase):
    LINE = "DaemonSet {ns}/agent (logging: helm:agent): volume logs of type ['hostPath'] is not allowed"
    EXC = [helm.ChartException("pod-security-restricted", "agent", r"volume logs ", "a node agent")]

    def test_exception_applies_only_to_its_release_and_policy(self):
        line = self.LINE.format(ns="logging")
        self.assertEqual(helm.waive("pod-security-restricted", [line], set(), self.EXC), ([], {0}))
        self.assertEqual(helm.waive("probes", [line], set(), self.EXC), ([line], set()))
        ours = line.replace("helm:agent", "kustomize/x")
        self.assertEqual(helm.waive("pod-security-restricted", [ours], set(), self.EXC), ([ours], set()))

    def test_no_waiver_where_restricted_is_enforced(self):
        line = self.LINE.format(ns="logging")
        self.assertEqual(helm.waive("pod-security-restricted", [line], {"logging"}, self.EXC), ([line], set()))
        extra = ("Deployment logging/agent (logging: helm:agent) container a: "
                 "readOnlyRootFilesystem must be true")
        exc = [helm.ChartException("pod-security-restricted", "agent", "readOnly", "writes its cache")]
        self.assertEqual(helm.waive("pod-security-restricted", [extra], {"logging"}, exc), ([], {0}))

    def test_every_exception_has_a_reason(self):
        for e in helm.CHART_EXCEPTIONS:
            self.assertIn(e.policy, policies.ALL, e)
            self.assertGreaterEqual(len(e.reason.split()), 5, e)


if __name__ == "__main__":
    unittest.main()
