"""Checks of the admission policy: the cluster admits only images this pipeline signed.

The engine is sigstore policy-controller (kustomize/infrastructure/admission), the policy a
ClusterImagePolicy (kustomize/infrastructure/policies). Neither the engine nor cosign runs here, so
these checks compare the layers that must agree, each returning a list of problems (empty = ok):

- check_identity: the keyless identity the policy trusts is exactly this repository's signing
  workflow (Cargo.toml's repository, the workflow that runs `cosign sign`) on its push triggers
  (release.yml's `on.push.branches`/`tags`), with GitHub's OIDC issuer, plus the CycloneDX
  attestation; compared by behaviour on probe identities, since two regexps can be written many ways;
- check_coverage: every image the app overlays deploy matches a policy glob (policy-controller's
  own glob semantics), so no app image reaches no-match-policy by accident;
- check_scoping: the webhook fails closed, denies unmatched images, covers the app's namespaces and
  explicitly leaves the system namespaces out;
- crd_validator / validate_crd: each policy object against the openAPIV3Schema of the CRD the chart
  installs (../shared/k8s-schemas has none for policy.sigstore.dev), unknown fields rejected as the
  API server's strict field validation does (a misspelt `subjectRegExp` would otherwise be pruned);
- render_chart: the chart renders with our values, and what it renders carries them.

test_admission.py runs each against the real tree and against a fixture that must fail.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import tomllib
from pathlib import Path

import jsonschema
import yaml

from policies import selector_admits

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
CYCLONEDX = {"https://cyclonedx.org/bom", "cyclonedx"}
CIP_GROUP = "policy.sigstore.dev"
INCLUDE_LABEL = "policy.sigstore.dev/include"
# Namespaces the webhook must never gate: the control plane's, Flux's (it must be able to repair
# the cluster), the engine's own, and the add-ons' whose images come from upstream registries.
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "flux-system", "cosign-system")
# The chart the HelmRelease pins (test_admission.py checks they agree); its CRDs validate the policies.
CHART_DIR = "policy-controller-0.10.6"


# --- where things are -------------------------------------------------------------------------

def charts_dir() -> Path:
    """The pinned Helm charts: KUSTOMIZE_HELM_CHARTS, else beside the CRD schema directory that
    xtask passes as KUSTOMIZE_SCHEMAS (both live in the shared reference directory)."""
    explicit = os.environ.get("KUSTOMIZE_HELM_CHARTS")
    if explicit:
        return Path(explicit)
    schemas = os.environ.get("KUSTOMIZE_SCHEMAS")
    if not schemas:
        raise RuntimeError("set KUSTOMIZE_SCHEMAS (xtask does) or KUSTOMIZE_HELM_CHARTS")
    return Path(schemas).resolve().parent / "helm-charts"


def chart_path(release: dict) -> Path:
    spec = (release.get("spec") or {}).get("chart", {}).get("spec", {})
    return charts_dir() / f"{spec.get('chart')}-{spec.get('version')}"


# --- the signing identity ---------------------------------------------------------------------

def repository_slug(cargo_toml: str) -> str:
    """owner/name from `repository` in Cargo.toml's [workspace.package]."""
    url = tomllib.loads(cargo_toml).get("workspace", {}).get("package", {}).get("repository", "")
    m = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?", url)
    if not m:
        raise ValueError(f"Cargo.toml [workspace.package] repository {url!r} is not a GitHub URL")
    return m.group(1)


def signing_workflows(workflows: dict[str, str]) -> list[str]:
    """The workflow files (path relative to the repository) whose steps run `cosign sign`."""
    out = []
    for path, text in sorted(workflows.items()):
        doc = yaml.safe_load(text) or {}
        for job in (doc.get("jobs") or {}).values():
            for step in (job or {}).get("steps") or []:
                if re.search(r"\bcosign\s+sign\b", str((step or {}).get("run", ""))):
                    out.append(path)
    return sorted(set(out))


def push_triggers(workflow_text: str) -> tuple[list[str], list[str]]:
    """(branch filters, tag filters) of `on.push`. PyYAML reads the key `on` as True."""
    doc = yaml.safe_load(workflow_text) or {}
    on = doc.get("on", doc.get(True))
    if not isinstance(on, dict) or not isinstance(on.get("push"), dict):
        raise ValueError("the signing workflow has no `on.push` with branch/tag filters")
    push = on["push"]
    for unsupported in ("branches-ignore", "tags-ignore"):
        if unsupported in push:
            raise ValueError(f"on.push.{unsupported} cannot be expressed as a subject pattern")
    return [str(b) for b in push.get("branches") or []], [str(t) for t in push.get("tags") or []]


def github_filter_regex(pattern: str) -> str:
    """A GitHub Actions branch/tag filter as a regex body. `*` matches anything but `/`, `**`
    anything, `?`/`+` the previous character optionally/repeatedly (GitHub docs, "Filter pattern
    cheat sheet"); other special characters are refused rather than guessed."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c in "?+":
            out.append(c)
        elif c in "[]!":
            raise ValueError(f"filter {pattern!r}: {c!r} is not supported by this check")
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def expected_subject_regex(slug: str, workflow: str, branches: list[str], tags: list[str]) -> str:
    refs = [f"heads/{github_filter_regex(b)}" for b in branches] + \
           [f"tags/{github_filter_regex(t)}" for t in tags]
    return (f"^https://github\\.com/{re.escape(slug)}/{re.escape(workflow)}"
            f"@refs/(?:{'|'.join(refs)})$")


def _filter_samples(pattern: str) -> list[str]:
    """Names a GitHub filter accepts (for probes)."""
    if pattern == "main" or not any(ch in pattern for ch in "*?+"):
        return [pattern]
    base = [pattern.replace("**", "a/b").replace("*", "1")]
    if pattern.startswith("v"):
        base += [pattern.replace("**", "1").replace("*", "10"), "v1.2.3" if "*.*.*" in pattern else base[0]]
    return sorted(set(base))


def identity_probes(slug: str, workflow: str, branches: list[str], tags: list[str]) -> list[str]:
    """Subjects around the trusted ones: the trusted refs, and near misses that must be refused
    (another workflow, repository, host, scheme, branch, tag shape, pull request, suffixes)."""
    owner, name = slug.split("/", 1)
    good_refs = [f"refs/heads/{s}" for b in branches for s in _filter_samples(b)] + \
                [f"refs/tags/{s}" for t in tags for s in _filter_samples(t)]
    wf_dir, _, wf_file = workflow.rpartition("/")
    stem = wf_file.rsplit(".", 1)[0]
    workflows = [workflow, f"{wf_dir}/ci.yml", f"{wf_dir}/{stem}.yaml", f"{wf_dir}/{stem}-evil.yml",
                 f"{wf_dir}/x{wf_file}", f"{workflow}x", f".github/workflows/sub/{wf_file}"]
    repos = [slug, f"{owner}/{name}-fork", f"{owner}-evil/{name}", f"evil/{name}", f"{owner}/{name}/x"]
    bases = [f"https://github.com/{r}" for r in repos] + \
            [f"http://github.com/{slug}", f"https://github.com.evil.example/{slug}",
             f"https://gist.github.com/{slug}", f"https://evil.example/https://github.com/{slug}"]
    refs = good_refs + [r + "x" for r in good_refs] + [r + "/x" for r in good_refs] + \
        [r.replace("refs/heads/", "refs/tags/") for r in good_refs] + \
        [r.replace("refs/tags/", "refs/heads/") for r in good_refs] + \
        ["refs/heads/feature/x", "refs/heads/mainline", "refs/heads/x/main", "refs/pull/1/merge",
         "refs/tags/1.2.3", "refs/tags/v1", "refs/tags/v1.2", "refs/tags/release-1.2.3",
         "refs/tags/x/v1.2.3", "refs/heads/main\n", "refs/tags/v1.2.3\nx"]
    out = [f"{b}/{w}@{r}" for b in bases for w in workflows for r in refs]
    out += [f"{s}x" for s in out[:50]] + [f"x{s}" for s in out[:50]]
    return sorted(set(out))


def _go_match(pattern: str, subject: str) -> bool:
    """Go's regexp.MatchString: an unanchored search (RE2 syntax; the patterns here are the
    common subset of RE2 and Python's re)."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"  # Go's `$` is end of text; Python's also allows a final "\n"
    return re.search(pattern, subject) is not None


def cluster_image_policies(objs: list[dict]) -> list[dict]:
    return [o for o in objs if o.get("kind") == "ClusterImagePolicy"
            and str(o.get("apiVersion", "")).startswith(CIP_GROUP + "/")]


def check_identity(policies: list[dict], slug: str, workflow: str,
                   branches: list[str], tags: list[str]) -> list[str]:
    """Every authority trusts exactly the signing workflow's identity and requires the CycloneDX
    attestation; there is at least one such policy; nothing is let through statically."""
    out = []
    if not policies:
        return ["no ClusterImagePolicy in the cluster: signatures are checked by nothing"]
    expected = expected_subject_regex(slug, workflow, branches, tags)
    probes = identity_probes(slug, workflow, branches, tags)
    for p in policies:
        name = p.get("metadata", {}).get("name")
        spec = p.get("spec") or {}
        if spec.get("mode", "enforce") != "enforce":
            out.append(f"ClusterImagePolicy {name}: mode {spec.get('mode')!r}, not enforce")
        authorities = spec.get("authorities") or []
        if not authorities:
            out.append(f"ClusterImagePolicy {name}: no authorities")
        for a in authorities:
            where = f"ClusterImagePolicy {name} authority {a.get('name')}"
            if "static" in a or "key" in a or "keyless" not in a:
                out.append(f"{where}: must be keyless (no static pass, no key)")
                continue
            identities = (a.get("keyless") or {}).get("identities") or []
            if not identities:
                out.append(f"{where}: keyless without identities trusts any signer")
            for ident in identities:
                if ident.get("issuer") != GITHUB_ISSUER or ident.get("issuerRegExp"):
                    out.append(f"{where}: issuer must be exactly {GITHUB_ISSUER}, not "
                               f"{ident.get('issuer') or ident.get('issuerRegExp')!r}")
                subject = ident.get("subjectRegExp")
                if subject is None:
                    literal = ident.get("subject")
                    subject = f"^{re.escape(literal)}$" if literal else ""
                if not subject.startswith("^") or not subject.endswith("$"):
                    out.append(f"{where}: subjectRegExp {subject!r} must be anchored (^…$): Go "
                               f"matches it anywhere in the subject")
                try:
                    wrong = [s for s in probes if _go_match(subject, s) != _go_match(expected, s)]
                except re.error as e:
                    out.append(f"{where}: subjectRegExp {subject!r} does not compile: {e}")
                    continue
                for s in wrong[:5]:
                    verdict = "accepts" if _go_match(subject, s) else "refuses"
                    out.append(f"{where}: subjectRegExp {verdict} {s!r}, unlike {workflow} on its "
                               f"push triggers (branches {branches}, tags {tags})")
            types = {str(att.get("predicateType")) for att in a.get("attestations") or []}
            if not types & CYCLONEDX:
                out.append(f"{where}: no CycloneDX SBOM attestation required "
                           f"(predicateType {sorted(CYCLONEDX)})")
    return out


def _digest_sources(step: dict, command: str) -> list[str]:
    """What each `<command> … <ref>@$VAR` of a step refers to: the step's `env` value of VAR (the
    expression, e.g. `${{ steps.push.outputs.digest }}`), else the variable's name."""
    env = step.get("env") or {}
    out = []
    for line in str(step.get("run", "")).replace("\\\n", " ").splitlines():
        if not re.search(rf"\b{command}\b", line):
            continue
        for var in re.findall(r"@\$\{?(\w+)\}?", line):
            out.append(re.sub(r"\s+", "", str(env.get(var, var))))
    return out


def check_release_attests_signed_digest(workflow_text: str) -> list[str]:
    """The digest the release signs (the one its tag names, which is what a Pod references and the
    admission webhook verifies) also carries the CycloneDX attestation; policy-controller checks
    attestations on that digest and does not look into an index's platform manifests."""
    doc = yaml.safe_load(workflow_text) or {}
    signed, attested = set(), set()
    for job in (doc.get("jobs") or {}).values():
        for step in (job or {}).get("steps") or []:
            signed |= set(_digest_sources(step, "cosign\\s+sign"))
            if "cyclonedx" in str(step.get("run", "")):
                attested |= set(_digest_sources(step, "cosign\\s+attest"))
    if not signed:
        return ["the release workflow signs no `<image>@$DIGEST` with cosign"]
    return [f"the release signs {d} but attests no CycloneDX SBOM on it (only on {sorted(attested)}): "
            f"admission would reject every image" for d in sorted(signed - attested)]


# --- which images the policy covers -----------------------------------------------------------

def glob_regex(glob: str) -> re.Pattern:
    """policy-controller's glob: `*` = any run of non-"/" characters, `**` = anything, anchored at
    both ends; "*" and "*/*" mean Docker Hub. Translated from sigstore/policy-controller
    @ 56d8219806dbebb0180fb8be1f85aa4c7ae4cb36 pkg/apis/glob/glob.go (Compile)."""
    if glob == "*/*":
        glob = "index.docker.io/*/*"
    if glob == "*":
        glob = "index.docker.io/library/*"
    if not re.fullmatch(r"[a-zA-Z0-9\-_:/*.]+", glob):
        raise ValueError(f"invalid glob {glob!r}")
    body = glob.replace(".", r"\.").replace("**", "#").replace("*", "[^/]*").replace("#", ".*")
    return re.compile(f"^{body}$")


def image_name(image: str) -> str:
    """The reference as go-containerregistry's Reference.Name() prints it: tag `latest` when there
    is neither tag nor digest (registries here are always explicit)."""
    last = image.rsplit("/", 1)[-1]
    if "@" in image or ":" in last:
        return image
    return f"{image}:latest"


def pod_images(objs: list[dict]) -> list[tuple[str, str]]:
    """(object, image) of every container of every workload."""
    out = []
    for o in objs:
        kind = o.get("kind")
        spec = o.get("spec") or {}
        if kind == "Pod":
            pod = spec
        elif kind == "CronJob":
            pod = spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
        elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            pod = spec.get("template", {}).get("spec", {})
        else:
            continue
        for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
            out.append((f"{kind} {o.get('metadata', {}).get('name')}", str(c.get("image", ""))))
    return out


def check_coverage(policies: list[dict], workloads: list[dict]) -> list[str]:
    """Every image the app deploys matches an image glob of an enforcing ClusterImagePolicy."""
    globs = []
    out = []
    for p in policies:
        for i in (p.get("spec") or {}).get("images") or []:
            try:
                globs.append(glob_regex(str(i.get("glob", ""))))
            except ValueError as e:
                out.append(f"ClusterImagePolicy {p.get('metadata', {}).get('name')}: {e}")
    images = pod_images(workloads)
    if not images:
        out.append("no app images found: nothing to cover")
    for where, image in images:
        if not any(g.match(image_name(image)) for g in globs):
            out.append(f"{where}: image {image!r} matches no ClusterImagePolicy glob "
                       f"({[g.pattern for g in globs]}); no-match-policy would reject it")
    return out


# --- which namespaces the webhook gates -------------------------------------------------------

def check_scoping(release: dict, namespaces: list[dict], app_namespaces: set[str]) -> list[str]:
    """The webhook fails closed and denies unmatched images; its namespace selector admits every
    app namespace (as labelled in the cluster) and excludes every system namespace by name, even
    one that were labelled for inclusion by mistake."""
    out = []
    values = (release.get("spec") or {}).get("values") or {}
    webhook = values.get("webhook") or {}
    if webhook.get("failurePolicy", "Fail") != "Fail":
        out.append(f"webhook.failurePolicy {webhook.get('failurePolicy')!r}: must fail closed (Fail)")
    if (webhook.get("configData") or {}).get("no-match-policy") != "deny":
        out.append("webhook.configData.no-match-policy must be deny (unmatched images are rejected)")
    selector = webhook.get("namespaceSelector") or {
        "matchExpressions": [{"key": INCLUDE_LABEL, "operator": "In", "values": ["true"]}]}
    labels = {n.get("metadata", {}).get("name"): (n.get("metadata", {}).get("labels") or {})
              for n in namespaces}
    for ns in sorted(app_namespaces):
        ns_labels = {**labels.get(ns, {}), "kubernetes.io/metadata.name": ns}
        if not selector_admits(selector, ns_labels):
            out.append(f"namespace {ns}: the app runs there but the webhook's namespaceSelector "
                       f"does not select it (label {INCLUDE_LABEL}=\"true\")")
    for ns in SYSTEM_NAMESPACES:
        forced = {INCLUDE_LABEL: "true", "kubernetes.io/metadata.name": ns}
        if selector_admits(selector, forced):
            out.append(f"namespace {ns}: not explicitly excluded by the webhook's namespaceSelector "
                       f"(kubernetes.io/metadata.name NotIn [...])")
        if labels.get(ns, {}).get(INCLUDE_LABEL) == "true":
            out.append(f"namespace {ns}: system namespace labelled {INCLUDE_LABEL}")
    return out


# Fields the webhook (knative) manages at run time; helm-controller must not "correct" them.
RUNTIME_MANAGED = (("ValidatingWebhookConfiguration", "/webhooks"),
                   ("MutatingWebhookConfiguration", "/webhooks"),
                   ("Secret", "/data"),
                   ("CustomResourceDefinition", "/spec/conversion/webhook/clientConfig/caBundle"))


def check_drift_ignores(release: dict) -> list[str]:
    """With drift detection on, the certificate, caBundles and webhook rules the controller writes
    at run time are ignored; otherwise each reconcile would revert them and break admission."""
    drift = (release.get("spec") or {}).get("driftDetection") or {}
    if drift.get("mode", "disabled") == "disabled":
        return []
    ignored = {((r.get("target") or {}).get("kind"), p)
               for r in drift.get("ignore") or [] for p in r.get("paths") or []}
    return [f"driftDetection would revert {kind} {path} (managed by the webhook at run time)"
            for kind, path in RUNTIME_MANAGED if (kind, path) not in ignored]


# --- the CRD schema ---------------------------------------------------------------------------

def _strict(node):
    """Unknown fields are errors, as with the API server's strict field validation, except where
    the schema preserves them."""
    if isinstance(node, list):
        return [_strict(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items()}
    if out.get("type") == "object" and "properties" in out \
            and not out.get("x-kubernetes-preserve-unknown-fields") \
            and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def crd_schemas(crds: list[dict]) -> dict[tuple[str, str, str], dict]:
    """(group, kind, version) -> JSON Schema of a whole object, from CRD manifests."""
    out = {}
    for crd in crds:
        spec = crd.get("spec") or {}
        for v in spec.get("versions") or []:
            schema = copy.deepcopy((v.get("schema") or {}).get("openAPIV3Schema") or {})
            props = schema.setdefault("properties", {})
            props.setdefault("apiVersion", {"type": "string"})
            props.setdefault("kind", {"type": "string"})
            props.setdefault("metadata", {"type": "object"})
            out[(spec.get("group"), spec.get("names", {}).get("kind"), v.get("name"))] = _strict(schema)
    return out


@functools.lru_cache(maxsize=None)
def chart_crd_schemas(chart: Path) -> dict[tuple[str, str, str], dict]:
    """The CRDs the policy-controller chart installs (templates/crds, rendered with installCRDs)."""
    objs = render_chart_objects(chart, {"installCRDs": True}, "policy-controller", "cosign-system")
    return crd_schemas([o for o in objs if o.get("kind") == "CustomResourceDefinition"])


def validate_crd(body: dict, schemas: dict[tuple[str, str, str], dict]) -> list[str]:
    group, _, version = str(body.get("apiVersion", "")).rpartition("/")
    schema = schemas.get((group, body.get("kind"), version))
    if schema is None:
        return [f"no CRD schema for {body.get('apiVersion')} {body.get('kind')}"]
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(body), key=lambda e: list(e.path))
    return [f"{'.'.join(str(p) for p in e.path) or '(root)'}: {e.message}" for e in errors[:5]]


class WithChartCRDs:
    """Wraps check.py's schema validator: policy.sigstore.dev objects are validated against the
    chart's CRDs, everything else as before."""

    def __init__(self, inner):
        self.inner = inner

    def validate(self, body: dict) -> list[str]:
        if str(body.get("apiVersion", "")).startswith(CIP_GROUP + "/"):
            return validate_crd(body, chart_crd_schemas(charts_dir() / CHART_DIR))
        return self.inner.validate(body)


# --- rendering the chart ----------------------------------------------------------------------

def render_chart_objects(chart: Path, values: dict, name: str, namespace: str) -> list[dict]:
    import helm_python  # PyPI helm-python-sdk (.ci/requirements.txt)

    rendered = helm_python.Chart.load(str(chart)).render(
        values=values, name=name, namespace=namespace, is_install=True)
    objs = []
    for text in rendered.values():
        objs += [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    return objs


def check_rendered(release: dict, objs: list[dict]) -> list[str]:
    """What the chart rendered from our values carries them: fail-closed webhooks with our
    namespace selector, no-match-policy deny, the IRSA annotation, images pinned by digest for the
    long-running webhook, the CRDs."""
    out = []
    webhook = ((release.get("spec") or {}).get("values") or {}).get("webhook") or {}
    kinds = {o.get("kind") for o in objs}
    for kind in ("Deployment", "ValidatingWebhookConfiguration", "CustomResourceDefinition"):
        if kind not in kinds:
            out.append(f"the chart rendered no {kind}")
    for o in objs:
        name = f"{o.get('kind')} {o.get('metadata', {}).get('name')}"
        if o.get("kind") == "ValidatingWebhookConfiguration" \
                and o["metadata"]["name"] == "policy.sigstore.dev":
            for w in o.get("webhooks") or []:
                if w.get("failurePolicy") != "Fail":
                    out.append(f"{name}: failurePolicy {w.get('failurePolicy')!r}")
                if w.get("namespaceSelector") != webhook.get("namespaceSelector"):
                    out.append(f"{name}: namespaceSelector is not ours: {w.get('namespaceSelector')}")
        if o.get("kind") == "ConfigMap" and o["metadata"]["name"] == "config-policy-controller":
            if (o.get("data") or {}).get("no-match-policy") != "deny":
                out.append(f"{name}: no-match-policy is not deny")
        if o.get("kind") == "ServiceAccount" and o["metadata"]["name"].endswith("-webhook"):
            ann = o.get("metadata", {}).get("annotations") or {}
            if not re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@-]+",
                                str(ann.get("eks.amazonaws.com/role-arn", ""))):
                out.append(f"{name}: no IRSA role (ECR read for signatures)")
        if o.get("kind") == "Deployment":
            for where, image in pod_images([o]):
                if "@sha256:" not in image:
                    out.append(f"{where}: image {image!r} is not pinned by digest")
    return out
