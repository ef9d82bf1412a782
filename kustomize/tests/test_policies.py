"""Self-tests of the checks in check.py: each rule must reject a manifest that breaks it.

    python3 -m unittest discover -s kustomize/tests -p 'test_*.py'

KUSTOMIZE_SCHEMAS (the shared CRD schema directory) must be set for the schema tests.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import policies  # noqa: E402
import render  # noqa: E402
import schemas  # noqa: E402
from render import Obj  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# The verified CRD schemas: `cargo xtask test --only kustomize` resolves the `crd-schemas` input
# (xtask/inputs.toml) and passes its path. Without it the schema tests fail rather than skip.
SCHEMAS = Path(os.environ.get("KUSTOMIZE_SCHEMAS", "KUSTOMIZE_SCHEMAS-is-unset"))

GOOD_DEPLOYMENT = yaml.safe_load("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: demo}
spec:
  replicas: 2
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: app
          image: registry.example/app:1.2.3
          ports: [{name: http, containerPort: 8080}]
          livenessProbe: {httpGet: {path: /healthz, port: http}}
          readinessProbe: {httpGet: {path: /readyz, port: http}}
          resources:
            requests: {cpu: 10m, memory: 16Mi}
            limits: {cpu: 100m, memory: 64Mi}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
      volumes:
        - name: tmp
          emptyDir: {}
""")
GOOD_PDB = yaml.safe_load("""
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: app, namespace: demo}
spec: {minAvailable: 1, selector: {matchLabels: {app: demo}}}
""")
DENY = yaml.safe_load("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-all, namespace: demo}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
""")


def objs(*bodies, owner="apps"):
    return [Obj(copy.deepcopy(b), owner, "test") for b in bodies]


def deployment(mutate):
    d = copy.deepcopy(GOOD_DEPLOYMENT)
    mutate(d)
    return d


def pod(d):
    return d["spec"]["template"]["spec"]


def ctr(d):
    return pod(d)["containers"][0]


class PodSecurity(unittest.TestCase):
    def test_good_passes(self):
        self.assertEqual(policies.check_pod_security(objs(GOOD_DEPLOYMENT)), [])

    def test_each_violation_fails(self):
        cases = {
            "runAsNonRoot": lambda d: pod(d)["securityContext"].update(runAsNonRoot=False),
            "numeric non-root": lambda d: pod(d)["securityContext"].update(runAsUser=0),
            "seccompProfile": lambda d: pod(d)["securityContext"].pop("seccompProfile"),
            "allowPrivilegeEscalation": lambda d: ctr(d)["securityContext"].pop("allowPrivilegeEscalation"),
            "privileged": lambda d: ctr(d)["securityContext"].update(privileged=True),
            "drop ALL": lambda d: ctr(d)["securityContext"].update(capabilities={"drop": ["NET_RAW"]}),
            "NET_BIND_SERVICE": lambda d: ctr(d)["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]),
            "readOnlyRootFilesystem": lambda d: ctr(d)["securityContext"].update(readOnlyRootFilesystem=False),
            "hostNetwork": lambda d: pod(d).update(hostNetwork=True),
            "hostPath": lambda d: pod(d)["volumes"].append({"name": "h", "hostPath": {"path": "/"}}),
            "hostPort": lambda d: ctr(d)["ports"][0].update(hostPort=80),
        }
        for expected, mutate in cases.items():
            with self.subTest(expected):
                problems = policies.check_pod_security(objs(deployment(mutate)))
                self.assertTrue(any(expected in p for p in problems), problems)

    def test_init_containers_count(self):
        def add_init(d):
            init = copy.deepcopy(ctr(d))
            init["name"] = "init"
            init["securityContext"]["allowPrivilegeEscalation"] = True
            pod(d)["initContainers"] = [init]
        self.assertTrue(policies.check_pod_security(objs(deployment(add_init))))


class Probes(unittest.TestCase):
    def test_missing_probe_fails(self):
        for probe in ("livenessProbe", "readinessProbe"):
            with self.subTest(probe):
                d = deployment(lambda d: ctr(d).pop(probe))
                self.assertTrue(policies.check_probes(objs(d)))

    def test_exemption_needs_reason_and_no_ports(self):
        def exempt(reason, ports):
            def m(d):
                d["spec"]["template"]["metadata"]["annotations"] = {policies.PROBE_EXEMPT: f"app: {reason}"}
                ctr(d).pop("livenessProbe")
                ctr(d).pop("readinessProbe")
                if not ports:
                    ctr(d).pop("ports")
            return deployment(m)
        self.assertEqual(policies.check_probes(objs(exempt("a loop without a port", False))), [])
        self.assertTrue(policies.check_probes(objs(exempt("", False))))
        self.assertTrue(policies.check_probes(objs(exempt("reason", True))))

    def test_jobs_need_no_probes(self):
        job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "demo"},
               "spec": {"template": copy.deepcopy(GOOD_DEPLOYMENT["spec"]["template"])}}
        for p in ("livenessProbe", "readinessProbe"):
            job["spec"]["template"]["spec"]["containers"][0].pop(p)
        self.assertEqual(policies.check_probes(objs(job)), [])


class Resources(unittest.TestCase):
    def test_each_missing_value_fails(self):
        self.assertEqual(policies.check_resources(objs(GOOD_DEPLOYMENT)), [])
        for section in ("requests", "limits"):
            for res in ("cpu", "memory"):
                with self.subTest(f"{section}.{res}"):
                    d = deployment(lambda d: ctr(d)["resources"][section].pop(res))
                    problems = policies.check_resources(objs(d))
                    self.assertEqual(len(problems), 1, problems)


class Pdb(unittest.TestCase):
    def test_pdb_required_and_must_select(self):
        self.assertEqual(policies.check_pdb(objs(GOOD_DEPLOYMENT, GOOD_PDB)), [])
        self.assertTrue(policies.check_pdb(objs(GOOD_DEPLOYMENT)))
        other = copy.deepcopy(GOOD_PDB)
        other["spec"]["selector"] = {"matchLabels": {"app": "other"}}
        self.assertTrue(policies.check_pdb(objs(GOOD_DEPLOYMENT, other)))
        elsewhere = copy.deepcopy(GOOD_PDB)
        elsewhere["metadata"]["namespace"] = "elsewhere"
        self.assertTrue(policies.check_pdb(objs(GOOD_DEPLOYMENT, elsewhere)))


class Replicas(unittest.TestCase):
    def test_two_pods_or_an_hpa(self):
        def app(replicas):
            d = deployment(lambda d: d["metadata"].update(labels={"app.kubernetes.io/part-of": "conduit"}))
            if replicas is None:
                d["spec"].pop("replicas")
            else:
                d["spec"]["replicas"] = replicas
            return d
        hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": "app", "namespace": "demo"},
               "spec": {"minReplicas": 2, "maxReplicas": 4,
                        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "app"}}}
        self.assertEqual(policies.check_replicas(objs(app(2))), [])
        self.assertEqual(policies.check_replicas(objs(app(None), hpa)), [])
        self.assertTrue(policies.check_replicas(objs(app(1))))
        self.assertTrue(policies.check_replicas(objs(app(None))))
        self.assertTrue(policies.check_replicas(objs(app(3), hpa)))
        low = copy.deepcopy(hpa)
        low["spec"]["minReplicas"] = 1
        self.assertTrue(policies.check_replicas(objs(app(None), low)))


class DefaultDeny(unittest.TestCase):
    def test_every_namespace_needs_default_deny(self):
        self.assertEqual(policies.check_default_deny(objs(GOOD_DEPLOYMENT, DENY)), [])
        self.assertTrue(policies.check_default_deny(objs(GOOD_DEPLOYMENT)))
        allow = copy.deepcopy(DENY)
        allow["spec"]["ingress"] = [{}]
        self.assertTrue(policies.check_default_deny(objs(GOOD_DEPLOYMENT, allow)))
        ingress_only = copy.deepcopy(DENY)
        ingress_only["spec"]["policyTypes"] = ["Ingress"]
        self.assertTrue(policies.check_default_deny(objs(GOOD_DEPLOYMENT, ingress_only)))

    def test_helm_target_namespaces_count(self):
        hr = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
              "metadata": {"name": "x", "namespace": "flux-system"}, "spec": {"targetNamespace": "tools"}}
        self.assertEqual(policies.check_default_deny(objs(hr)),
                         ["namespace tools: no default-deny NetworkPolicy (podSelector {}, "
                          "policyTypes Ingress+Egress, no rules)"])


class NetworkPolicyCoverage(unittest.TestCase):
    SVC = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "app", "namespace": "demo"},
           "spec": {"selector": {"app": "demo"}, "ports": [{"port": 80, "targetPort": "http"}]}}

    @staticmethod
    def allow(ports, selector=None):
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "allow", "namespace": "demo"},
                "spec": {"podSelector": selector or {}, "policyTypes": ["Ingress"],
                         "ingress": [{"from": [{"podSelector": {}}], **({"ports": ports} if ports else {})}]}}

    def test_service_ports_need_an_admitting_policy(self):
        check = policies.check_network_policy_coverage
        self.assertTrue(check(objs(GOOD_DEPLOYMENT, DENY, self.SVC)))                      # nothing admits 8080
        self.assertEqual(check(objs(GOOD_DEPLOYMENT, DENY, self.SVC, self.allow([{"port": 8080}]))), [])
        self.assertEqual(check(objs(GOOD_DEPLOYMENT, DENY, self.SVC, self.allow([{"port": "http"}]))), [])
        self.assertEqual(check(objs(GOOD_DEPLOYMENT, DENY, self.SVC, self.allow(None))), [])   # all ports
        self.assertTrue(check(objs(GOOD_DEPLOYMENT, DENY, self.SVC, self.allow([{"port": 9464}]))))
        other = self.allow([{"port": 8080}], {"matchLabels": {"app": "other"}})
        self.assertTrue(check(objs(GOOD_DEPLOYMENT, DENY, self.SVC, other)))               # other pods
        udp = self.allow([{"port": 8080, "protocol": "UDP"}])
        self.assertTrue(check(objs(GOOD_DEPLOYMENT, DENY, self.SVC, udp)))
        # a targetPort name no container has
        bad = copy.deepcopy(self.SVC)
        bad["spec"]["ports"][0]["targetPort"] = "admin"
        self.assertTrue(check(objs(GOOD_DEPLOYMENT, DENY, bad, self.allow(None))))
        # without a default deny everything is admitted
        self.assertEqual(check(objs(GOOD_DEPLOYMENT, self.SVC)), [])


class Images(unittest.TestCase):
    def test_tags(self):
        for image, bad in [("r/app:1.2.3", False), ("r/app@sha256:" + "0" * 64, False),
                           ("r:5000/app:main-1-abcdef0", False), ("r/app", True), ("r:5000/app", True),
                           ("r/app:latest", True), ("app:latest", True)]:
            with self.subTest(image):
                d = deployment(lambda d: ctr(d).update(image=image))
                self.assertEqual(bool(policies.check_images(objs(d))), bad)


class SecretData(unittest.TestCase):
    def test_secret_with_data_fails(self):
        s = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "demo"}}
        self.assertEqual(policies.check_no_secret_data(objs(s)), [])
        for field in ("data", "stringData"):
            with self.subTest(field):
                bad = dict(s, **{field: {"k": "djE="}})
                self.assertTrue(policies.check_no_secret_data(objs(bad)))


INGRESS = yaml.safe_load("""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: demo
  annotations:
    alb.ingress.kubernetes.io/scheme: internet-facing
    alb.ingress.kubernetes.io/target-type: ip
    alb.ingress.kubernetes.io/group.name: conduit
    alb.ingress.kubernetes.io/ssl-redirect: "443"
    alb.ingress.kubernetes.io/certificate-arn: arn:aws:acm:eu-west-1:111122223333:certificate/x
    alb.ingress.kubernetes.io/wafv2-acl-arn: arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/x/y
    alb.ingress.kubernetes.io/ssl-policy: ELBSecurityPolicy-TLS13-1-2-2021-06
spec:
  ingressClassName: alb
  rules:
    - host: example.com
""")


class IngressEdge(unittest.TestCase):
    def test_edge_settings(self):
        self.assertEqual(policies.check_ingress_edge(objs(INGRESS)), [])
        for key in ("alb.ingress.kubernetes.io/wafv2-acl-arn", "alb.ingress.kubernetes.io/ssl-redirect",
                    "alb.ingress.kubernetes.io/certificate-arn"):
            with self.subTest(key):
                bad = copy.deepcopy(INGRESS)
                bad["metadata"]["annotations"].pop(key)
                self.assertTrue(policies.check_ingress_edge(objs(bad)))
        bad = copy.deepcopy(INGRESS)
        bad["metadata"]["annotations"]["alb.ingress.kubernetes.io/scheme"] = "internal"
        bad["spec"]["rules"][0].pop("host")
        self.assertEqual(len(policies.check_ingress_edge(objs(bad))), 2)


class Irsa(unittest.TestCase):
    def cluster(self, arn="arn:aws:iam::111122223333:role/conduit-staging-api", name="conduit-api"):
        sa = {"apiVersion": "v1", "kind": "ServiceAccount",
              "metadata": {"name": name, "namespace": "conduit", "annotations": {policies.IRSA: arn}}}
        hrs = []
        for (kind, hr_name), (sa_name, path) in policies.IRSA_SERVICE_ACCOUNTS.items():
            if kind != "HelmRelease":
                continue
            values = {"name": sa_name, "annotations": {policies.IRSA: "arn:aws:iam::111122223333:role/r"}}
            for p in reversed(path):
                values = {p: values}
            hrs.append({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                        "metadata": {"name": hr_name, "namespace": "flux-system"}, "spec": {"values": values}})
        return objs(sa, *hrs)

    def test_contract(self):
        self.assertEqual(policies.check_irsa(self.cluster()), [])
        self.assertTrue(policies.check_irsa(self.cluster(arn="")))
        self.assertTrue(policies.check_irsa(self.cluster(arn="arn:aws:iam:::role/x")))
        self.assertTrue(policies.check_irsa(self.cluster(name="api")))
        renamed = self.cluster()
        renamed[1].body["spec"]["values"]["serviceAccount"]["name"] = "aws-lbc"
        self.assertTrue(policies.check_irsa(renamed))


class CheckovSkips(unittest.TestCase):
    def test_skips_need_a_reason(self):
        def annotated(value):
            return deployment(lambda d: d["metadata"].update(annotations={"checkov.io/skip1": value}))
        self.assertEqual(policies.check_checkov_skips(
            objs(annotated("CKV_K8S_43=tags are immutable in ECR and written by automation"))), [])
        self.assertTrue(policies.check_checkov_skips(objs(annotated("CKV_K8S_43"))))
        self.assertTrue(policies.check_checkov_skips(objs(annotated("CKV_K8S_43=because"))))


def helmrelease(version=None, chart_ref=None, name="x", chart="x", owner="infra"):
    spec = {"chartRef": chart_ref} if chart_ref else {
        "chart": {"spec": {"chart": chart, "version": version,
                           "sourceRef": {"kind": "HelmRepository", "name": "repo"}}}}
    return Obj({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                "metadata": {"name": name, "namespace": "flux-system"}, "spec": spec}, owner, "test")


class HelmPinned(unittest.TestCase):
    def test_versions(self):
        for v, ok in [("1.2.3", True), ("88.5.3", True), ("1.x", False), (">=1.0.0", False),
                      ("*", False), ("~1.2", False), (None, False)]:
            with self.subTest(v):
                self.assertEqual(policies.check_helm_pinned([helmrelease(v)]) == [], ok)

    def test_oci_semver_range_fails(self):
        repo = Obj({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
                    "metadata": {"name": "c", "namespace": "flux-system"},
                    "spec": {"ref": {"semver": "1.x"}}}, "infra", "test")
        hr = helmrelease(chart_ref={"kind": "OCIRepository", "name": "c"})
        self.assertTrue(policies.check_helm_pinned([repo, hr]))
        repo.body["spec"]["ref"] = {"tag": "1.2.3"}
        self.assertEqual(policies.check_helm_pinned([repo, hr]), [])


def flux_ks(name, deps=()):
    return Obj({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": {"name": name, "namespace": "flux-system"},
                "spec": {"dependsOn": [{"name": d} for d in deps]}}, "flux-system", "test")


class FluxDependencies(unittest.TestCase):
    def cluster(self, apps_deps):
        repo = Obj({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
                    "metadata": {"name": "repo", "namespace": "flux-system"}}, "infra", "test")
        eso = helmrelease("1.0.0", name="external-secrets", chart="external-secrets")
        store = Obj({"apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore",
                     "metadata": {"name": "aws"}}, "configs", "test")
        ns = Obj({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}, "configs", "test")
        es = Obj({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                  "metadata": {"name": "s", "namespace": "demo"},
                  "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "aws"}}}, "apps", "test")
        return [flux_ks("infra"), flux_ks("configs", ["infra"]), flux_ks("apps", apps_deps),
                repo, eso, store, ns, es]

    def test_good_chain(self):
        self.assertEqual(policies.check_flux_dependencies(self.cluster(["configs"]), {"infra"}), [])

    def test_missing_dependency_fails(self):
        problems = policies.check_flux_dependencies(self.cluster([]), {"infra"})
        self.assertTrue(any("no dependsOn" in p for p in problems), problems)
        self.assertTrue(any("must depend on configs" in p for p in problems), problems)
        self.assertTrue(any("must depend on infra" in p for p in problems), problems)

    def test_unknown_and_cyclic_dependencies_fail(self):
        objs_ = self.cluster(["configs", "nope"])
        self.assertTrue(any("does not exist" in p for p in policies.check_flux_dependencies(objs_, {"infra"})))
        objs_ = self.cluster(["configs"])
        objs_[0].body["spec"]["dependsOn"] = [{"name": "apps"}]
        self.assertTrue(any("cycle" in p for p in policies.check_flux_dependencies(objs_, set())))

    def test_crd_without_provider_fails(self):
        sm = Obj({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                  "metadata": {"name": "m", "namespace": "demo"}}, "apps", "test")
        problems = policies.check_flux_dependencies(self.cluster(["configs"]) + [sm], {"infra"})
        self.assertTrue(any("installs the CRDs" in p for p in problems), problems)


class ImageMarkers(unittest.TestCase):
    def test_markers(self):
        pol = Obj({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImagePolicy",
                   "metadata": {"name": "api", "namespace": "flux-system"}}, "img", "test")
        auto = Obj({"apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageUpdateAutomation",
                    "metadata": {"name": "a", "namespace": "flux-system"},
                    "spec": {"update": {"path": "./kustomize/apps/x/staging"}}}, "img", "test")
        good = [("kustomize/apps/x/staging/kustomization.yaml", "flux-system:api:tag")]
        self.assertEqual(policies.check_image_markers([pol, auto], good), [])
        self.assertTrue(policies.check_image_markers([pol, auto], [(good[0][0], "flux-system:web:tag")]))
        self.assertTrue(policies.check_image_markers([pol, auto], [("kustomize/apps/x/production/k.yaml",
                                                                    "flux-system:api:tag")]))


class Substitution(unittest.TestCase):
    def test_values_defaults_missing_and_opt_out(self):
        body = {"kind": "ConfigMap", "metadata": {"name": "c"},
                "data": {"a": "${A}", "b": "${B:=two}", "c": "${C}", "d": "$D"}}
        new, missing = render.substitute(body, {"A": "one"})
        # an unset variable becomes an empty (null) value, as in Flux
        self.assertEqual(new["data"], {"a": "one", "b": "two", "c": None, "d": "$D"})
        self.assertEqual(missing, ["C"])
        body["metadata"]["annotations"] = {render.SUBSTITUTE_OFF: "disabled"}
        self.assertEqual(render.substitute(body, {}), (body, []))

    def test_value_breaking_yaml_fails(self):
        body = {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "${A}"}}
        with self.assertRaises(render.RenderError):
            render.substitute(body, {"A": "x: [unclosed"})


class Schemas(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = schemas.Validator(SCHEMAS, schemas.pick_version("1.32"))

    def test_core_strict(self):
        self.assertEqual(self.v.validate(GOOD_DEPLOYMENT), [])
        bad = deployment(lambda d: ctr(d).update(imagePullPolizy="Always"))
        self.assertTrue(self.v.validate(bad))
        bad = deployment(lambda d: d["spec"].update(replicas="two"))
        self.assertTrue(self.v.validate(bad))

    def test_unknown_kinds_fail(self):
        self.assertTrue(self.v.validate({"apiVersion": "example.com/v1", "kind": "Widget",
                                         "metadata": {"name": "w"}}))
        self.assertTrue(self.v.validate({"apiVersion": "v1", "kind": "Widget", "metadata": {"name": "w"}}))
        self.assertTrue(self.v.validate({"apiVersion": "helm.toolkit.fluxcd.io/v9", "kind": "HelmRelease",
                                         "metadata": {"name": "w"}}))

    def test_crd_fields(self):
        hr = helmrelease("1.2.3").body
        hr["spec"]["interval"] = "10m"
        self.assertEqual(self.v.validate(hr), [])
        hr["spec"]["intervall"] = "10m"
        self.assertTrue(self.v.validate(hr))

    def test_go_case_insensitive_patterns_are_tolerated(self):
        rule = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
                "metadata": {"name": "r"},
                "spec": {"groups": [{"name": "g", "partial_response_strategy": "WARN", "rules": []}]}}
        self.assertEqual(self.v.validate(rule), [])
        rule["spec"]["groups"][0]["partial_response_strategy"] = "sometimes"
        self.assertTrue(self.v.validate(rule))


@unittest.skipUnless(shutil.which("kubectl"), "needs kubectl")
class EndToEnd(unittest.TestCase):
    """check.py on a copy of kustomize/ with one broken manifest must exit non-zero."""

    def run_check(self, break_it) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(REPO / "kustomize", Path(tmp) / "kustomize",
                            ignore=shutil.ignore_patterns("__pycache__"))
            break_it(Path(tmp) / "kustomize")
            return subprocess.run(
                [sys.executable, str(HERE / "check.py"), "--repo", tmp, "--schemas", str(SCHEMAS),
                 "--out", str(Path(tmp) / "out"), "--only-env", "production"],
                capture_output=True, text=True)

    def test_latest_tag_unread_value_and_broken_render_fail(self):
        def latest(k):
            f = k / "apps/conduit/production/kustomization.yaml"
            f.write_text(f.read_text().replace("newTag: 1.0.0", "newTag: latest", 1))
            # A HelmRelease value the chart does not read, and a chart object that breaks a policy.
            f = k / "infrastructure/controllers/metrics-server.yaml"
            f.write_text(f.read_text().replace("    replicas: 2\n",
                                               "    replicaCount: 2\n    image:\n      tag: latest\n", 1))
            # The chart's webhook Service behind a default deny that no longer admits its port.
            f = k / "infrastructure/configs/network-policies.yaml"
            f.write_text(f.read_text().replace("- port: 10250", "- port: 10251", 1))
        proc = self.run_check(latest)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("FAIL production: policy image-tags", proc.stdout)
        self.assertIn("values key replicaCount is not read by the chart", proc.stdout)
        self.assertIn("(infra-controllers: helm:metrics-server) container metrics-server: image", proc.stdout)
        self.assertIn("FAIL production: policy network-policy-coverage", proc.stdout)
        self.assertIn("Service external-secrets/external-secrets-webhook", proc.stdout)

        def broken(k):
            (k / "apps/conduit/base/kustomization.yaml").write_text("resources: [missing.yaml]\n")
        proc = self.run_check(broken)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("FAIL render", proc.stdout)


if __name__ == "__main__":
    unittest.main()
