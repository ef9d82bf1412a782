"""Schema validation of rendered objects.

Core Kubernetes kinds: kubernetes-validate, strict (unknown fields are errors), for the cluster's
Kubernetes version. Everything else: the CRD's JSON Schema from the shared schema directory
(<group>/<kind>_<version>.json). A kind without a schema is an error, never a skip.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import jsonschema
import kubernetes_validate
from kubernetes_validate.utils import SchemaNotFoundError

# API groups served by Kubernetes itself (kubernetes-validate has their schemas).
CORE_GROUPS = {
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io", "certificates.k8s.io",
    "discovery.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io",
}


def _normalise(node):
    """Go regexps in the CRD schemas put `(?i)` after `^`; Python only accepts global flags at the
    very start of a pattern, so the flag is moved there (same meaning)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "pattern" and isinstance(v, str) and "(?i)" in v:
                v = "(?i)" + v.replace("(?i)", "")
            out[k] = _normalise(v)
        return out
    if isinstance(node, list):
        return [_normalise(x) for x in node]
    return node


class Validator:
    def __init__(self, schema_dir: Path, k8s_version: str):
        self.schema_dir = schema_dir
        self.k8s_version = k8s_version

    @functools.lru_cache(maxsize=None)
    def _crd_validator(self, group: str, kind: str, version: str):
        path = self.schema_dir / group / f"{kind.lower()}_{version}.json"
        if not path.is_file():
            return None
        schema = _normalise(json.loads(path.read_text()))
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        cls.check_schema(schema)
        return cls(schema)

    def validate(self, body: dict) -> list[str]:
        """Returns the problems of one object (empty when it is valid)."""
        api_version = body.get("apiVersion", "")
        kind = body.get("kind", "")
        if not api_version or not kind:
            return ["object without apiVersion or kind"]
        group, _, version = api_version.rpartition("/")
        if group in CORE_GROUPS:
            try:
                kubernetes_validate.validate(body, self.k8s_version, strict=True)
            except SchemaNotFoundError:
                return [f"no Kubernetes {self.k8s_version} schema for {api_version} {kind}"]
            except jsonschema.ValidationError as e:
                where = ".".join(str(p) for p in e.path) or "(root)"
                return [f"{where}: {e.message}"]
            return []
        validator = self._crd_validator(group, kind, version)
        if validator is None:
            return [f"no schema for {api_version} {kind} in {self.schema_dir} "
                    f"(expected {group}/{kind.lower()}_{version}.json)"]
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        return [f"{'.'.join(str(p) for p in e.path) or '(root)'}: {e.message}" for e in errors[:5]]


def core_versions() -> list[str]:
    from kubernetes_validate.utils import all_versions
    return all_versions()


def pick_version(wanted: str) -> str:
    """The newest schema version kubernetes-validate ships that is not newer than `wanted`."""
    def key(v: str):
        return tuple(int(x) for x in re.findall(r"\d+", v)[:2])
    candidates = [v for v in core_versions() if key(v) <= key(wanted)]
    if not candidates:
        raise SystemExit(f"kubernetes-validate has no schemas for Kubernetes <= {wanted}")
    return max(candidates, key=key)
