"""Policy checks on the objects Flux applies to one cluster.

Each check takes the cluster's objects (render.Obj) and returns a list of violations, one line
each; an empty list means the check passed. tests/test_policies.py proves that each of them fails
on a manifest that breaks its rule.
"""

from __future__ import annotations

import re
from collections import defaultdict

from render import Obj, is_flux_kustomization

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"}
REPLICATED = {"Deployment", "StatefulSet", "ReplicaSet"}
# Pod Security "restricted": the volume types it allows.
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                      "persistentVolumeClaim", "projected", "secret"}
PROBE_EXEMPT = "policy.conduit.io/probe-exempt"
# Namespaces that are not ours to lock down, and why.
NETPOL_EXEMPT = {
    "kube-system": "EKS-managed system pods (CoreDNS, VPC CNI, kube-proxy)",
    "flux-system": "flux bootstrap installs its own allow-egress/allow-scraping/allow-webhooks policies",
}
# CRD API groups and the Helm chart (installed by a HelmRelease) that brings their CRDs.
CRD_PROVIDERS = {
    "monitoring.coreos.com": "kube-prometheus-stack",
    "external-secrets.io": "external-secrets",
    "elbv2.k8s.aws": "aws-load-balancer-controller",
    "elasticsearch.k8s.elastic.co": "eck-operator",
    "kibana.k8s.elastic.co": "eck-operator",
    "policy.sigstore.dev": "policy-controller",
}
EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def pod_spec(obj: Obj) -> tuple[dict, dict] | None:
    """(pod template metadata, pod spec) of a workload, or None."""
    b = obj.body
    if obj.kind not in WORKLOAD_KINDS:
        return None
    if obj.kind == "Pod":
        return b.get("metadata", {}), b.get("spec", {})
    if obj.kind == "CronJob":
        t = b.get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template", {})
    else:
        t = b.get("spec", {}).get("template", {})
    return t.get("metadata", {}), t.get("spec", {})


def containers(spec: dict) -> list[dict]:
    return (spec.get("initContainers") or []) + (spec.get("containers") or []) + \
        (spec.get("ephemeralContainers") or [])


def workloads(objs: list[Obj]):
    for o in objs:
        ps = pod_spec(o)
        if ps is not None:
            yield o, ps[0], ps[1]


def check_pod_security(objs: list[Obj]) -> list[str]:
    """Pod Security Standard "restricted", plus a read-only root filesystem and an explicit
    numeric non-root user for every container."""
    out = []
    for o, _meta, spec in workloads(objs):
        psc = spec.get("securityContext") or {}
        for field in ("hostNetwork", "hostPID", "hostIPC", "hostUsers"):
            if field != "hostUsers" and spec.get(field):
                out.append(f"{o.ref()}: {field} is not allowed")
        for v in spec.get("volumes") or []:
            kinds = set(v) - {"name"}
            if not kinds <= RESTRICTED_VOLUMES:
                out.append(f"{o.ref()}: volume {v.get('name')} of type {sorted(kinds)} is not allowed")
        for c in containers(spec):
            csc = c.get("securityContext") or {}
            name = f"{o.ref()} container {c.get('name')}"

            def eff(key):
                return csc.get(key, psc.get(key))
            if eff("runAsNonRoot") is not True:
                out.append(f"{name}: runAsNonRoot must be true")
            user = eff("runAsUser")
            if not isinstance(user, int) or user == 0:
                out.append(f"{name}: runAsUser must be a numeric non-root uid")
            seccomp = (csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                out.append(f"{name}: seccompProfile must be RuntimeDefault or Localhost")
            if csc.get("allowPrivilegeEscalation") is not False:
                out.append(f"{name}: allowPrivilegeEscalation must be false")
            if csc.get("privileged"):
                out.append(f"{name}: privileged is not allowed")
            caps = csc.get("capabilities") or {}
            if "ALL" not in (caps.get("drop") or []):
                out.append(f"{name}: capabilities must drop ALL")
            if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
                out.append(f"{name}: only NET_BIND_SERVICE may be added")
            if csc.get("readOnlyRootFilesystem") is not True:
                out.append(f"{name}: readOnlyRootFilesystem must be true")
            if csc.get("procMount", "Default") != "Default":
                out.append(f"{name}: procMount must be Default")
            for p in c.get("ports") or []:
                if p.get("hostPort"):
                    out.append(f"{name}: hostPort is not allowed")
        for s in psc.get("sysctls") or []:
            out.append(f"{o.ref()}: sysctl {s.get('name')} is not allowed")
    return out


def check_probes(objs: list[Obj]) -> list[str]:
    """Long-running containers have liveness and readiness probes. A container without a port
    can be exempted by the pod annotation policy.conduit.io/probe-exempt: "<name>: <reason>"."""
    out = []
    for o, meta, spec in workloads(objs):
        if o.kind not in LONG_RUNNING:
            continue
        exempt = {}
        for part in (meta.get("annotations") or {}).get(PROBE_EXEMPT, "").split(";"):
            if ":" in part:
                cname, reason = part.split(":", 1)
                exempt[cname.strip()] = reason.strip()
        for c in spec.get("containers") or []:
            if c.get("name") in exempt:
                if not exempt[c["name"]]:
                    out.append(f"{o.ref()} container {c['name']}: probe exemption without a reason")
                elif c.get("ports"):
                    out.append(f"{o.ref()} container {c['name']}: has ports, so it must be probed")
                continue
            for probe in ("livenessProbe", "readinessProbe"):
                if not c.get(probe):
                    out.append(f"{o.ref()} container {c.get('name')}: no {probe}")
    return out


def check_resources(objs: list[Obj]) -> list[str]:
    """Every container requests CPU and memory and has CPU and memory limits."""
    out = []
    for o, _meta, spec in workloads(objs):
        for c in containers(spec):
            r = c.get("resources") or {}
            for section in ("requests", "limits"):
                for res in ("cpu", "memory"):
                    if not (r.get(section) or {}).get(res):
                        out.append(f"{o.ref()} container {c.get('name')}: no {section}.{res}")
    return out


def selector_admits(selector: dict, labels: dict) -> bool:
    """Kubernetes label-selector semantics: an empty selector admits everything."""
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _selector_matches(selector: dict, labels: dict) -> bool:
    """Like `selector_admits`, but a missing selector selects nothing (PDBs, Services)."""
    return bool(selector) and selector_admits(selector, labels)


def check_pdb(objs: list[Obj]) -> list[str]:
    """Every replicated workload is covered by a PodDisruptionBudget in its namespace."""
    pdbs = [o for o in objs if o.kind == "PodDisruptionBudget"]
    out = []
    for o, meta, _spec in workloads(objs):
        if o.kind not in REPLICATED:
            continue
        labels = meta.get("labels") or {}
        if not any(p.namespace == o.namespace and
                   _selector_matches(p.body.get("spec", {}).get("selector") or {}, labels)
                   for p in pdbs):
            out.append(f"{o.ref()}: no PodDisruptionBudget selects its pods")
    return out


def check_replicas(objs: list[Obj]) -> list[str]:
    """Every Deployment runs at least two pods: a fixed `replicas` of 2+ or, when a
    HorizontalPodAutoscaler owns the count, no `replicas` and minReplicas of 2+."""
    out = []
    hpas = {}
    for o in objs:
        if o.kind == "HorizontalPodAutoscaler":
            t = o.body.get("spec", {}).get("scaleTargetRef", {})
            hpas[(o.namespace, t.get("kind"), t.get("name"))] = o
    for o in objs:
        if o.kind != "Deployment":
            continue
        if o.body.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/part-of") != "conduit":
            continue
        replicas = o.body.get("spec", {}).get("replicas")
        hpa = hpas.get((o.namespace, "Deployment", o.name))
        if hpa:
            if replicas is not None:
                out.append(f"{o.ref()}: sets replicas although {hpa.name} (HPA) owns the count")
            if (hpa.body.get("spec", {}).get("minReplicas") or 1) < 2:
                out.append(f"{o.ref()}: HPA {hpa.name} allows fewer than 2 replicas")
        elif (replicas or 1) < 2:
            out.append(f"{o.ref()}: fewer than 2 replicas and no HPA")
    return out


def _namespaces(objs: list[Obj]) -> set[str]:
    names = set()
    for o in objs:
        if o.kind == "Namespace":
            names.add(o.name)
        elif o.namespace:
            names.add(o.namespace)
        if o.kind == "HelmRelease":
            names.add(o.body.get("spec", {}).get("targetNamespace") or o.namespace)
    return {n for n in names if n}


def is_default_deny(o: Obj) -> bool:
    s = o.body.get("spec", {})
    return (o.kind == "NetworkPolicy" and s.get("podSelector") in ({}, None)
            and {"Ingress", "Egress"} <= set(s.get("policyTypes") or [])
            and not s.get("ingress") and not s.get("egress"))


def check_default_deny(objs: list[Obj]) -> list[str]:
    """Every namespace that the cluster's objects use has a default-deny (ingress and egress)
    NetworkPolicy, except the system namespaces in NETPOL_EXEMPT."""
    denied = {o.namespace for o in objs if is_default_deny(o)}
    return [f"namespace {ns}: no default-deny NetworkPolicy (podSelector {{}}, policyTypes "
            f"Ingress+Egress, no rules)"
            for ns in sorted(_namespaces(objs)) if ns not in NETPOL_EXEMPT and ns not in denied]


def _port_allowed(rule_ports: list | None, number: int, name: str | None, protocol: str) -> bool:
    if not rule_ports:
        return True  # a rule without ports admits every port
    for rp in rule_ports:
        if (rp.get("protocol") or "TCP") != protocol:
            continue
        port = rp.get("port")
        if port is None or port == number or (name and port == name):
            return True
        end = rp.get("endPort")
        if isinstance(port, int) and end and port <= number <= end:
            return True
    return False


def check_network_policy_coverage(objs: list[Obj]) -> list[str]:
    """In a namespace with a default deny, every port a Service sends to is admitted by some
    NetworkPolicy that selects the Service's pods (else the Service, a webhook behind it or a
    scrape of it is dead on arrival)."""
    denied = {o.namespace for o in objs if is_default_deny(o)}
    policies_by_ns = defaultdict(list)
    for o in objs:
        if o.kind == "NetworkPolicy":
            policies_by_ns[o.namespace].append(o.body.get("spec", {}))
    pods = [(o, meta.get("labels") or {}, spec) for o, meta, spec in workloads(objs)]
    out = []
    for svc in objs:
        if svc.kind != "Service" or svc.namespace not in denied:
            continue
        selector = svc.body.get("spec", {}).get("selector") or {}
        if not selector:
            continue
        for o, labels, spec in pods:
            if o.namespace != svc.namespace or not _selector_matches({"matchLabels": selector}, labels):
                continue
            ports = {p.get("name"): p.get("containerPort") for c in spec.get("containers") or []
                     for p in c.get("ports") or [] if p.get("name")}
            for sp in svc.body.get("spec", {}).get("ports") or []:
                target = sp.get("targetPort", sp.get("port"))
                number = ports.get(target) if isinstance(target, str) else target
                name = target if isinstance(target, str) else next(
                    (n for n, v in ports.items() if v == target), None)
                if number is None:
                    out.append(f"{svc.ref()}: targetPort {target!r} is no named port of {o.kind} {o.name}")
                    continue
                protocol = sp.get("protocol") or "TCP"
                admitted = any(
                    ("Ingress" in (np.get("policyTypes") or ["Ingress"]))
                    and selector_admits(np.get("podSelector") or {}, labels)
                    and any(_port_allowed(rule.get("ports"), number, name, protocol)
                            for rule in np.get("ingress") or [])
                    for np in policies_by_ns[svc.namespace])
                if not admitted:
                    out.append(f"{svc.ref()}: no NetworkPolicy admits {protocol} {number} to the pods of "
                               f"{o.kind} {o.name}")
    return out


def image_problem(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag"
    tag = last.rsplit(":", 1)[1]
    if tag in ("latest", "") or tag.endswith("-latest"):
        return f"uses the moving tag {tag!r}"
    return None


def check_images(objs: list[Obj]) -> list[str]:
    """No untagged image and no `latest`."""
    out = []
    for o, _meta, spec in workloads(objs):
        for c in containers(spec):
            problem = image_problem(c.get("image", ""))
            if problem:
                out.append(f"{o.ref()} container {c.get('name')}: image {c.get('image')!r} {problem}")
    return out


def check_no_secret_data(objs: list[Obj]) -> list[str]:
    """Secrets come from External Secrets: no Secret object carries data."""
    return [f"{o.ref()}: Secret with data in Git" for o in objs
            if o.kind == "Secret" and (o.body.get("data") or o.body.get("stringData"))]


def check_helm_pinned(objs: list[Obj]) -> list[str]:
    """Every HelmRelease names an exact chart version (no range, no wildcard, no floating tag)."""
    out = []
    oci = {(o.namespace, o.name): o for o in objs if o.kind == "OCIRepository"}
    for o in objs:
        if o.kind != "HelmRelease":
            continue
        spec = o.body.get("spec", {})
        chart = (spec.get("chart") or {}).get("spec")
        if chart:
            version = str(chart.get("version", ""))
            if not EXACT_VERSION.match(version):
                out.append(f"{o.ref()}: chart version {version!r} is not pinned to one release")
            continue
        ref = spec.get("chartRef") or {}
        if ref.get("kind") == "OCIRepository":
            repo = oci.get((ref.get("namespace") or o.namespace, ref.get("name")))
            r = (repo.body.get("spec", {}).get("ref") or {}) if repo else {}
            if not (r.get("digest") or EXACT_VERSION.match(str(r.get("tag", "")))):
                out.append(f"{o.ref()}: OCIRepository {ref.get('name')} is not pinned to a tag or digest")
        else:
            out.append(f"{o.ref()}: no chart version")
    return out


def chart_of(o: Obj) -> str:
    spec = o.body.get("spec", {})
    return ((spec.get("chart") or {}).get("spec") or {}).get("chart") or o.name


def check_flux_dependencies(objs: list[Obj], roots: set[str]) -> list[str]:
    """The Flux Kustomizations form a DAG whose edges cover what each one needs:
    every dependsOn names an existing Kustomization, there is no cycle, only the roots lack
    dependsOn, and a Kustomization depends (transitively) on the ones that bring the CRDs of its
    kinds, create its namespaces, hold the HelmRepositories its HelmReleases use and the
    ClusterSecretStores its ExternalSecrets read."""
    out = []
    kss = {o.name: o for o in objs if is_flux_kustomization(o.body)}
    deps = {n: [d.get("name") for d in (k.body.get("spec", {}).get("dependsOn") or [])]
            for n, k in kss.items()}
    for n, ds in sorted(deps.items()):
        for d in ds:
            if d not in kss:
                out.append(f"Flux Kustomization {n}: dependsOn {d}, which does not exist")
        if not ds and n not in roots and n != "flux-system":
            out.append(f"Flux Kustomization {n}: no dependsOn (only {sorted(roots)} may start the chain)")

    closure: dict[str, set[str]] = {}

    def reach(n: str, stack: tuple = ()) -> set[str]:
        if n in stack:
            out.append(f"Flux Kustomization dependency cycle: {' -> '.join(stack + (n,))}")
            return set()
        if n not in closure:
            acc = set()
            for d in deps.get(n, []):
                if d in kss:
                    acc |= {d} | reach(d, stack + (n,))
            closure[n] = acc
        return closure[n]

    for n in kss:
        reach(n)

    provider: dict[str, str] = {}     # CRD group -> owning Flux Kustomization
    ns_owner: dict[str, str] = {}
    helmrepo_owner: dict[tuple, str] = {}
    store_owner: dict[str, str] = {}
    # Namespaces a HelmRelease creates itself (install.createNamespace): its chart's objects there
    # need no other Kustomization first.
    helm_created = {(o.owner, o.body.get("spec", {}).get("targetNamespace") or o.namespace)
                    for o in objs if o.kind == "HelmRelease"
                    and (o.body.get("spec", {}).get("install") or {}).get("createNamespace")}
    for o in objs:
        if o.kind == "HelmRelease":
            for group, chart in CRD_PROVIDERS.items():
                if chart_of(o) == chart:
                    provider[group] = o.owner
        elif o.kind == "Namespace":
            ns_owner.setdefault(o.name, o.owner)
        elif o.kind in ("HelmRepository", "OCIRepository"):
            helmrepo_owner[(o.kind, o.namespace, o.name)] = o.owner
        elif o.kind == "ClusterSecretStore":
            store_owner[o.name] = o.owner

    def need(o: Obj, other: str | None, why: str):
        if other is None or other == o.owner or o.owner == "flux-system":
            return
        if other not in closure.get(o.owner, set()):
            out.append(f"{o.ref()}: Flux Kustomization {o.owner} must depend on {other} ({why})")

    for o in objs:
        if o.group in provider or o.group in CRD_PROVIDERS:
            if o.group not in provider:
                out.append(f"{o.ref()}: nothing in the cluster installs the CRDs of {o.group}")
            need(o, provider.get(o.group), f"it installs the {o.group} CRDs")
        if o.namespace and o.namespace not in NETPOL_EXEMPT and \
                not (o.source.startswith("helm:") and (o.owner, o.namespace) in helm_created):
            need(o, ns_owner.get(o.namespace), f"it creates namespace {o.namespace}")
        if o.kind == "HelmRelease":
            spec = o.body.get("spec", {})
            src = ((spec.get("chart") or {}).get("spec") or {}).get("sourceRef") or spec.get("chartRef") or {}
            key = (src.get("kind"), src.get("namespace") or o.namespace, src.get("name"))
            if key not in helmrepo_owner:
                out.append(f"{o.ref()}: its chart source {key} is not in the cluster")
            need(o, helmrepo_owner.get(key), "it holds the chart source")
        if o.kind == "ExternalSecret":
            ref = o.body.get("spec", {}).get("secretStoreRef") or {}
            if ref.get("kind") == "ClusterSecretStore":
                if ref.get("name") not in store_owner:
                    out.append(f"{o.ref()}: ClusterSecretStore {ref.get('name')} is not in the cluster")
                need(o, store_owner.get(ref.get("name")), "it holds the ClusterSecretStore")
    return out


def check_image_markers(objs: list[Obj], marker_refs: list[tuple[str, str]]) -> list[str]:
    """Every $imagepolicy marker in the overlay names an ImagePolicy of the cluster, and an
    ImageUpdateAutomation of the cluster covers the file that carries it."""
    out = []
    policies = {(o.namespace, o.name) for o in objs if o.kind == "ImagePolicy"}
    paths = [o.body.get("spec", {}).get("update", {}).get("path", "").lstrip("./").rstrip("/")
             for o in objs if o.kind == "ImageUpdateAutomation"]
    for file, ref in marker_refs:
        ns, _, rest = ref.partition(":")
        name = rest.split(":")[0]
        if (ns, name) not in policies:
            out.append(f"{file}: marker {ref} names no ImagePolicy of the cluster")
        if not any(p and file.startswith(p + "/") for p in paths):
            out.append(f"{file}: no ImageUpdateAutomation of the cluster updates this file")
    return out


ALB_REQUIRED = {
    "alb.ingress.kubernetes.io/scheme": lambda v: v == "internet-facing",
    "alb.ingress.kubernetes.io/target-type": lambda v: v == "ip",
    "alb.ingress.kubernetes.io/group.name": lambda v: v == "conduit",
    "alb.ingress.kubernetes.io/ssl-redirect": lambda v: v == "443",
    "alb.ingress.kubernetes.io/certificate-arn": lambda v: v.startswith("arn:aws:acm:"),
    "alb.ingress.kubernetes.io/wafv2-acl-arn": lambda v: v.startswith("arn:aws:wafv2:"),
    "alb.ingress.kubernetes.io/ssl-policy": lambda v: v.startswith("ELBSecurityPolicy-TLS13"),
}


def check_ingress_edge(objs: list[Obj]) -> list[str]:
    """Every Ingress goes through the shared ALB: class alb, HTTPS with the ACM certificate and a
    TLS 1.3 policy, HTTP redirected, the WAF ACL attached, pods as targets, a host name."""
    out = []
    for o in objs:
        if o.kind != "Ingress":
            continue
        spec = o.body.get("spec", {})
        if spec.get("ingressClassName") != "alb":
            out.append(f"{o.ref()}: ingressClassName must be alb")
        ann = o.body.get("metadata", {}).get("annotations") or {}
        for key, ok in ALB_REQUIRED.items():
            if not ok(str(ann.get(key, ""))):
                out.append(f"{o.ref()}: annotation {key}={ann.get(key)!r} is missing or wrong")
        for rule in spec.get("rules") or []:
            if not rule.get("host"):
                out.append(f"{o.ref()}: a rule without host")
    return out


ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@-]+$")
IRSA = "eks.amazonaws.com/role-arn"
# Contract: the service accounts that get an IRSA role, where their annotation is declared.
IRSA_SERVICE_ACCOUNTS = {
    ("ServiceAccount", "conduit-api"): ("conduit-api", ()),
    ("HelmRelease", "aws-load-balancer-controller"): ("aws-load-balancer-controller", ("serviceAccount",)),
    ("HelmRelease", "external-secrets"): ("external-secrets", ("serviceAccount",)),
    ("HelmRelease", "fluent-bit"): ("fluent-bit", ("serviceAccount",)),
    ("HelmRelease", "kube-prometheus-stack"): ("kube-prometheus-stack-grafana", ("grafana", "serviceAccount")),
}


def check_irsa(objs: list[Obj]) -> list[str]:
    """The IRSA service accounts of the contract exist with their fixed names and a well-formed
    role ARN (catches a misspelt variable, which Flux would turn into an empty annotation)."""
    out = []
    found = set()
    for o in objs:
        key = (o.kind, o.name)
        if key not in IRSA_SERVICE_ACCOUNTS:
            continue
        found.add(key)
        want_name, path = IRSA_SERVICE_ACCOUNTS[key]
        if o.kind == "ServiceAccount":
            sa = {"name": o.name, "annotations": o.body.get("metadata", {}).get("annotations") or {}}
        else:
            sa = o.body.get("spec", {}).get("values") or {}
            for p in path:
                sa = sa.get(p) or {}
        if sa.get("name") != want_name:
            out.append(f"{o.ref()}: service account must be named {want_name}, not {sa.get('name')!r}")
        arn = str((sa.get("annotations") or {}).get(IRSA, ""))
        if not ROLE_ARN.match(arn):
            out.append(f"{o.ref()}: {IRSA} {arn!r} is not an IAM role ARN")
    for key in sorted(set(IRSA_SERVICE_ACCOUNTS) - found):
        out.append(f"{key[0]} {key[1]}: missing (it carries an IRSA role of the contract)")
    return out


SKIP = re.compile(r"^(CKV2?_K8S_\d+)=(.*)$")


def check_checkov_skips(objs: list[Obj]) -> list[str]:
    """Every checkov skip annotation names one check and gives a real reason (a sentence)."""
    out = []
    for o in objs:
        for key, value in (o.body.get("metadata", {}).get("annotations") or {}).items():
            if not key.startswith("checkov.io/skip"):
                continue
            m = SKIP.match(str(value))
            if not m:
                out.append(f"{o.ref()}: {key} must read CKV_K8S_<n>=<reason>, not {value!r}")
            elif len(m.group(2).split()) < 5:
                out.append(f"{o.ref()}: {key} skips {m.group(1)} without a reviewable reason")
    return out


ALL = {
    "pod-security-restricted": check_pod_security,
    "probes": check_probes,
    "requests-and-limits": check_resources,
    "pod-disruption-budgets": check_pdb,
    "app-replicas": check_replicas,
    "default-deny-network-policies": check_default_deny,
    "network-policy-coverage": check_network_policy_coverage,
    "image-tags": check_images,
    "no-secret-data": check_no_secret_data,
    "helm-charts-pinned": check_helm_pinned,
    "checkov-skips-justified": check_checkov_skips,
    "ingress-edge": check_ingress_edge,
    "irsa-service-accounts": check_irsa,
}


def group_by_owner(objs: list[Obj]) -> dict[str, list[Obj]]:
    g = defaultdict(list)
    for o in objs:
        g[o.owner].append(o)
    return g
