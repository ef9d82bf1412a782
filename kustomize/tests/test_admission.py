"""Admission policy: the real tree passes every check of admission.py, and a fixture breaking each
rule is rejected.

    python3 -m unittest discover -s kustomize/tests -p 'test_*.py'

Needs KUSTOMIZE_SCHEMAS (xtask sets it; the pinned charts are found beside it, or set
KUSTOMIZE_HELM_CHARTS), kubectl, and PyPI helm-python-sdk.
"""

from __future__ import annotations

import copy
import functools
import sys
import unittest
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import admission  # noqa: E402
import render  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
KZ = REPO / "kustomize"
ENVS = sorted(p.name for p in (KZ / "clusters").iterdir() if p.is_dir())


@functools.lru_cache(maxsize=None)
def built(directory: str) -> tuple:
    return tuple(render.kubectl_build(KZ / directory))


@functools.lru_cache(maxsize=None)
def cluster_vars(env: str) -> dict:
    for d in built(f"clusters/{env}"):
        if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == "cluster-vars":
            return {k: str(v) for k, v in d["data"].items()}
    raise AssertionError(f"no cluster-vars in clusters/{env}")


def applied(env: str, directory: str) -> list[dict]:
    """The objects of one directory as Flux applies them to `env` (post-build substitution)."""
    out = []
    for body in built(directory):
        body, missing = render.substitute(copy.deepcopy(body), cluster_vars(env))
        if missing:
            raise AssertionError(f"{directory}: unresolved {missing}")
        out.append(body)
    return out


def the_release(env: str) -> dict:
    return next(o for o in applied(env, "infrastructure/admission")
                if o["kind"] == "HelmRelease" and o["metadata"]["name"] == "policy-controller")


def app_workloads(env: str) -> list[dict]:
    return applied(env, f"apps/conduit/{env}") + applied(env, f"apps/conduit/{env}/migrate")


def namespaces(env: str) -> list[dict]:
    return [o for d in ("infrastructure/configs", "infrastructure/admission")
            for o in applied(env, d) if o["kind"] == "Namespace"]


def workflows() -> dict[str, str]:
    return {p.relative_to(REPO).as_posix(): p.read_text()
            for p in sorted((REPO / ".github" / "workflows").glob("*.y*ml"))}


def identity_of_tree(workflow_texts: dict[str, str]):
    """(slug, signing workflow, branches, tags) from Cargo.toml and the workflows."""
    slug = admission.repository_slug((REPO / "Cargo.toml").read_text())
    signers = admission.signing_workflows(workflow_texts)
    if len(signers) != 1:
        raise AssertionError(f"expected one workflow running `cosign sign`, found {signers}")
    branches, tags = admission.push_triggers(workflow_texts[signers[0]])
    return slug, signers[0], branches, tags


def cips(env: str) -> list[dict]:
    return admission.cluster_image_policies(applied(env, "infrastructure/policies"))


class RealTree(unittest.TestCase):
    def test_signing_workflow_is_release_yml(self):
        _slug, workflow, branches, tags = identity_of_tree(workflows())
        self.assertEqual(workflow, ".github/workflows/release.yml")
        self.assertTrue(branches and tags, (branches, tags))

    def test_release_attests_what_it_signs(self):
        _slug, workflow, _b, _t = identity_of_tree(workflows())
        self.assertEqual(admission.check_release_attests_signed_digest(workflows()[workflow]), [])

    def test_identity(self):
        ident = identity_of_tree(workflows())
        for env in ENVS:
            with self.subTest(env):
                self.assertEqual(admission.check_identity(cips(env), *ident), [])

    def test_coverage(self):
        for env in ENVS:
            with self.subTest(env):
                self.assertEqual(admission.check_coverage(cips(env), app_workloads(env)), [])

    def test_scoping(self):
        for env in ENVS:
            with self.subTest(env):
                app_ns = {o["metadata"].get("namespace") for o in app_workloads(env)}
                self.assertEqual(app_ns, {"conduit"})
                self.assertEqual(
                    admission.check_scoping(the_release(env), namespaces(env), app_ns), [])

    def test_crd_chart_is_the_pinned_one(self):
        for env in ENVS:
            self.assertEqual(admission.chart_path(the_release(env)).name, admission.CHART_DIR)

    def test_drift_detection_leaves_runtime_fields_alone(self):
        for env in ENVS:
            self.assertEqual(admission.check_drift_ignores(the_release(env)), [])

    def test_policy_matches_its_crd_schema(self):
        schemas = admission.chart_crd_schemas(admission.chart_path(the_release(ENVS[0])))
        self.assertIn(("policy.sigstore.dev", "ClusterImagePolicy", "v1beta1"), schemas)
        for env in ENVS:
            for cip in cips(env):
                with self.subTest(env=env, policy=cip["metadata"]["name"]):
                    self.assertEqual(admission.validate_crd(cip, schemas), [])

    def test_chart_renders_with_our_values(self):
        for env in ENVS:
            with self.subTest(env):
                release = the_release(env)
                objs = admission.render_chart_objects(
                    admission.chart_path(release), release["spec"]["values"],
                    release["spec"]["releaseName"], release["spec"]["targetNamespace"])
                self.assertEqual(admission.check_rendered(release, objs), [])


def first_identity(cip: dict) -> dict:
    return cip["spec"]["authorities"][0]["keyless"]["identities"][0]


class IdentityFixtures(unittest.TestCase):
    def setUp(self):
        self.ident = identity_of_tree(workflows())
        self.cip = cips(ENVS[0])[0]

    def rejects(self, cip=None, ident=None, expect=""):
        problems = admission.check_identity([cip or self.cip], *(ident or self.ident))
        self.assertTrue(problems, "fixture was accepted")
        self.assertTrue(any(expect in p for p in problems), problems)

    def mutated(self, f):
        c = copy.deepcopy(self.cip)
        f(c)
        return c

    def test_other_workflow(self):
        self.rejects(self.mutated(lambda c: first_identity(c).update(
            subjectRegExp=first_identity(c)["subjectRegExp"].replace("release", "ci"))),
            expect="accepts")

    def test_any_tag(self):
        self.rejects(self.mutated(lambda c: first_identity(c).update(
            subjectRegExp=first_identity(c)["subjectRegExp"].replace(r"tags/v[^/]*\.[^/]*\.[^/]*", "tags/.*"))),
            expect="accepts")

    def test_pull_request_ref(self):
        self.rejects(self.mutated(lambda c: first_identity(c).update(
            subjectRegExp=first_identity(c)["subjectRegExp"].replace("heads/main", "heads/main|pull/.*"))),
            expect="accepts")

    def test_unanchored(self):
        self.rejects(self.mutated(lambda c: first_identity(c).update(
            subjectRegExp=first_identity(c)["subjectRegExp"].lstrip("^"))), expect="anchored")

    def test_other_repository(self):
        self.rejects(self.mutated(lambda c: first_identity(c).update(
            subjectRegExp=first_identity(c)["subjectRegExp"].replace("conduit-platform", "[^/]+"))),
            expect="accepts")

    def test_main_only_refuses_tags(self):
        self.rejects(self.mutated(lambda c: first_identity(c).update(
            subjectRegExp=first_identity(c)["subjectRegExp"].replace(r"|tags/v[^/]*\.[^/]*\.[^/]*", ""))),
            expect="refuses")

    def test_issuer(self):
        self.rejects(self.mutated(lambda c: first_identity(c).update(
            issuer="https://accounts.google.com")), expect="issuer")

    def test_no_identities(self):
        self.rejects(self.mutated(lambda c: c["spec"]["authorities"][0]["keyless"].pop("identities")),
                     expect="any signer")

    def test_static_pass(self):
        self.rejects(self.mutated(lambda c: c["spec"]["authorities"].append(
            {"name": "open", "static": {"action": "pass"}})), expect="keyless")

    def test_no_sbom_attestation(self):
        self.rejects(self.mutated(lambda c: c["spec"]["authorities"][0].pop("attestations")),
                     expect="CycloneDX")

    def test_warn_mode(self):
        self.rejects(self.mutated(lambda c: c["spec"].update(mode="warn")), expect="enforce")

    def test_no_policy(self):
        self.assertTrue(admission.check_identity([], *self.ident))

    def test_release_triggers_changed(self):
        slug, wf, branches, _tags = self.ident
        self.rejects(ident=(slug, wf, branches, ["release-*"]), expect="refuses")
        self.rejects(ident=(slug, wf, ["main", "develop"], _tags), expect="refuses")

    def test_repository_renamed(self):
        _slug, wf, branches, tags = self.ident
        self.rejects(ident=("acme/conduit", wf, branches, tags), expect="")

    def test_signing_moved_to_another_workflow(self):
        texts = workflows()
        release = texts[".github/workflows/release.yml"]
        texts[".github/workflows/release.yml"] = release.replace("cosign sign", "echo skipped")
        texts[".github/workflows/publish.yml"] = yaml.safe_dump(
            {"on": {"push": {"branches": ["main"]}},
             "jobs": {"p": {"runs-on": "x", "steps": [{"run": "cosign sign --yes img"}]}}})
        slug, wf, branches, tags = identity_of_tree(texts)
        self.assertEqual(wf, ".github/workflows/publish.yml")
        self.assertTrue(admission.check_identity([self.cip], slug, wf, branches, tags))

    def test_trigger_parsing(self):
        self.assertEqual(admission.push_triggers("on:\n  push:\n    branches: [main]\n    tags: ['v*']\n"),
                         (["main"], ["v*"]))
        with self.assertRaises(ValueError):
            admission.push_triggers("on: [push]\n")
        with self.assertRaises(ValueError):
            admission.push_triggers("on:\n  push:\n    branches-ignore: [x]\n")


RELEASE_FIXTURE = """
jobs:
  publish:
    steps:
      - name: Sign
        env:
          DIGEST: ${{ steps.push.outputs.digest }}
        run: cosign sign --yes --recursive "$REG/$IMAGE@$DIGEST"
      - name: Attest
        env:
          DIGEST_AMD64: ${{ steps.push.outputs.digest_amd64 }}
        run: |
          cosign attest --yes --type cyclonedx --predicate sbom.json \\
            "$REG/$IMAGE@$DIGEST_AMD64"
"""


class ReleaseAttestationFixtures(unittest.TestCase):
    def test_platform_only_attestation_is_rejected(self):
        problems = admission.check_release_attests_signed_digest(RELEASE_FIXTURE)
        self.assertTrue(any("steps.push.outputs.digest}}" in p for p in problems), problems)

    def test_index_attestation_passes(self):
        fixed = RELEASE_FIXTURE.replace("DIGEST_AMD64: ${{ steps.push.outputs.digest_amd64 }}",
                                        "DIGEST_AMD64: ${{ steps.push.outputs.digest }}")
        self.assertEqual(admission.check_release_attests_signed_digest(fixed), [])

    def test_other_predicate_does_not_count(self):
        fixed = RELEASE_FIXTURE.replace("digest_amd64 }}", "digest }}").replace("cyclonedx", "spdxjson")
        self.assertTrue(admission.check_release_attests_signed_digest(fixed))

    def test_nothing_signed(self):
        self.assertTrue(admission.check_release_attests_signed_digest("jobs: {}\n"))


class CoverageFixtures(unittest.TestCase):
    def setUp(self):
        self.env = ENVS[0]

    def test_image_from_another_registry(self):
        workloads = copy.deepcopy(app_workloads(self.env))
        dep = next(o for o in workloads if o["kind"] == "Deployment")
        dep["spec"]["template"]["spec"]["containers"][0]["image"] = "docker.io/library/nginx:1.27"
        problems = admission.check_coverage(cips(self.env), workloads)
        self.assertTrue(any("nginx" in p for p in problems), problems)

    def test_policy_for_another_registry(self):
        cip = copy.deepcopy(cips(self.env)[0])
        cip["spec"]["images"] = [{"glob": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/**"}]
        problems = admission.check_coverage([cip], app_workloads(self.env))
        self.assertTrue(any("matches no ClusterImagePolicy" in p for p in problems), problems)

    def test_glob_semantics(self):
        g = admission.glob_regex("reg.example/*")
        self.assertTrue(g.match("reg.example/api:1.0"))
        self.assertFalse(g.match("reg.example/team/api:1.0"))
        self.assertFalse(g.match("regXexample/api:1.0"))
        self.assertTrue(admission.glob_regex("reg.example/**").match("reg.example/a/b@sha256:00"))
        self.assertEqual(admission.image_name("reg.example/api"), "reg.example/api:latest")
        with self.assertRaises(ValueError):
            admission.glob_regex("reg.example/api[0-9]")


class ScopingFixtures(unittest.TestCase):
    def setUp(self):
        self.env = ENVS[0]
        self.release = the_release(self.env)
        self.ns = namespaces(self.env)

    def rejects(self, release=None, ns=None, expect=""):
        problems = admission.check_scoping(release or self.release, ns or self.ns, {"conduit"})
        self.assertTrue(any(expect in p for p in problems), problems)

    def values(self, f):
        r = copy.deepcopy(self.release)
        f(r["spec"]["values"]["webhook"])
        return r

    def test_fail_open(self):
        self.rejects(self.values(lambda w: w.update(failurePolicy="Ignore")), expect="fail closed")

    def test_unmatched_allowed(self):
        self.rejects(self.values(lambda w: w["configData"].update({"no-match-policy": "warn"})),
                     expect="no-match-policy")

    def test_system_namespaces_not_excluded(self):
        self.rejects(self.values(lambda w: w["namespaceSelector"]["matchExpressions"].pop()),
                     expect="explicitly excluded")

    def test_app_namespace_not_labelled(self):
        ns = copy.deepcopy(self.ns)
        for n in ns:
            n["metadata"].get("labels", {}).pop(admission.INCLUDE_LABEL, None)
        self.rejects(ns=ns, expect="does not select")

    def test_drift_detection_reverts_webhook_certs(self):
        r = copy.deepcopy(self.release)
        r["spec"]["driftDetection"]["ignore"] = [
            i for i in r["spec"]["driftDetection"]["ignore"] if i["target"]["kind"] != "Secret"]
        problems = admission.check_drift_ignores(r)
        self.assertTrue(any("Secret /data" in p for p in problems), problems)

    def test_system_namespace_labelled(self):
        ns = copy.deepcopy(self.ns) + [{"kind": "Namespace", "metadata": {
            "name": "kube-system", "labels": {admission.INCLUDE_LABEL: "true"}}}]
        self.rejects(ns=ns, expect="system namespace labelled")


class SchemaFixtures(unittest.TestCase):
    def setUp(self):
        self.schemas = admission.chart_crd_schemas(admission.chart_path(the_release(ENVS[0])))
        self.cip = cips(ENVS[0])[0]

    def test_misspelt_field(self):
        c = copy.deepcopy(self.cip)
        ident = first_identity(c)
        ident["subjectRegex"] = ident.pop("subjectRegExp")
        problems = admission.validate_crd(c, self.schemas)
        self.assertTrue(any("subjectRegex" in p for p in problems), problems)

    def test_wrong_type(self):
        c = copy.deepcopy(self.cip)
        c["spec"]["images"] = {"glob": "x"}
        self.assertTrue(admission.validate_crd(c, self.schemas))

    def test_unknown_version(self):
        c = copy.deepcopy(self.cip)
        c["apiVersion"] = "policy.sigstore.dev/v9"
        self.assertTrue(admission.validate_crd(c, self.schemas))

    def test_check_py_wrapper(self):
        class Inner:
            def validate(self, body):
                return ["inner"]
        v = admission.WithChartCRDs(Inner())
        self.assertEqual(v.validate({"apiVersion": "v1", "kind": "ConfigMap"}), ["inner"])
        self.assertEqual(v.validate(self.cip), [])


class RenderFixtures(unittest.TestCase):
    def render(self, mutate):
        release = copy.deepcopy(the_release(ENVS[0]))
        mutate(release["spec"]["values"])
        objs = admission.render_chart_objects(
            admission.chart_path(release), release["spec"]["values"], "policy-controller", "cosign-system")
        return release, objs

    def test_values_reach_the_rendered_objects(self):
        # Our release says one thing, the values rendered say another: caught.
        release, objs = self.render(lambda v: v["webhook"].update(failurePolicy="Ignore"))
        ours = the_release(ENVS[0])
        problems = admission.check_rendered(ours, objs)
        self.assertTrue(any("failurePolicy" in p for p in problems), problems)

    def test_no_irsa_role(self):
        release, objs = self.render(lambda v: v["webhook"]["serviceAccount"].pop("annotations"))
        problems = admission.check_rendered(release, objs)
        self.assertTrue(any("IRSA" in p for p in problems), problems)

    def test_webhook_image_by_tag(self):
        release, objs = self.render(lambda v: v["webhook"].update(
            image={"repository": "ghcr.io/sigstore/policy-controller/policy-controller", "version": "v0.13.1"}))
        problems = admission.check_rendered(release, objs)
        self.assertTrue(any("digest" in p for p in problems), problems)


if __name__ == "__main__":
    unittest.main()
