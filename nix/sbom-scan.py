#!/usr/bin/env python3
"""Make a bombon CycloneDX SBOM matchable by a vulnerability scanner, and check a scanner's report
of the known-vulnerable control SBOM.

  sbom-scan.py enrich IN.cdx.json OUT.cdx.json   give every Nix component a CPE (IN may be OUT)
  sbom-scan.py check SBOM.cdx.json               exit 1 unless every component is matchable
  sbom-scan.py control CONTROL.cdx.json REPORT.json
                                                 exit 1 unless grype's JSON REPORT names every
                                                 vulnerability CONTROL expects

Why: bombon (nikstur/bombon@a138474, rust/transformer/src/cyclonedx.rs) writes a `pkg:nix/<name>@
<version>` purl for every store path, and a `cpe` only when nixpkgs sets `meta.identifiers.cpe`;
otherwise the candidate CPEs land in `evidence.identity`, which grype does not read. No scanner has
a feed for `pkg:nix` purls, so without a CPE a store path (glibc, openssl, ...) is never matched. The
Rust crates come from cargo-cyclonedx with `pkg:cargo` purls, which grype matches against the GitHub
advisories; they are left alone. Enriching is idempotent.
Exit status: 0 ok, 1 findings (printed), 2 usage or unreadable input.
"""

import json
import sys

EXPECT = "conduit:expect-vulnerability"
CPE_SOURCE = "conduit:cpe-source"


def components(bom):
    """Every component, nested ones included."""
    stack = list(bom.get("components") or [])
    while stack:
        c = stack.pop()
        yield c
        stack.extend(c.get("components") or [])


def is_crate(c):
    return (c.get("purl") or "").startswith("pkg:cargo/")


def cpe_value(s):
    """A CPE 2.3 attribute value: lower case, no spaces or colons."""
    return "".join(ch if ch.isalnum() or ch in "._-+" else "_" for ch in s.lower())


def evidence_cpes(c):
    """Candidate CPEs bombon put in evidence.identity, most confident first."""
    identity = (c.get("evidence") or {}).get("identity")
    identities = identity if isinstance(identity, list) else [identity] if identity else []
    found = []
    for ident in identities:
        if ident.get("field") != "cpe":
            continue
        for m in ident.get("methods") or []:
            if m.get("value"):
                found.append((float(m.get("confidence") or 0), m["value"]))
    return [v for _, v in sorted(found, key=lambda t: -t[0])]


def add_property(c, name, value):
    props = c.setdefault("properties", [])
    if {"name": name, "value": value} not in props:
        props.append({"name": name, "value": value})


def enrich(bom):
    for c in components(bom):
        if is_crate(c) or c.get("cpe") or not c.get("version") or not c.get("name"):
            continue
        candidates = evidence_cpes(c)
        if candidates:
            c["cpe"] = candidates[0]
            # grype reads further CPEs from syft's property name.
            for other in candidates[1:]:
                add_property(c, "syft:cpe23", other)
            add_property(c, CPE_SOURCE, "nixpkgs meta.identifiers.possibleCPEs")
        else:
            name, version = cpe_value(c["name"]), cpe_value(c["version"])
            c["cpe"] = f"cpe:2.3:a:{name}:{name}:{version}:*:*:*:*:*:*:*"
            add_property(c, CPE_SOURCE, "guessed from the derivation's pname and version")
        if not c.get("purl"):
            c["purl"] = f"pkg:nix/{c['name']}@{c['version']}"
    return bom


def unmatchable(bom):
    """Components a scanner could not match: neither a crate purl nor a CPE."""
    return [
        f"{c.get('name')}@{c.get('version')}: no CPE and no pkg:cargo purl"
        for c in components(bom)
        if c.get("version") and not is_crate(c) and not c.get("cpe")
    ]


def expected(bom):
    props = (bom.get("metadata") or {}).get("properties") or []
    return sorted({p["value"] for p in props if p.get("name") == EXPECT})


def reported(report):
    ids = set()
    for m in report.get("matches") or []:
        ids.add((m.get("vulnerability") or {}).get("id"))
        ids.update(r.get("id") for r in m.get("relatedVulnerabilities") or [])
    ids.discard(None)
    return ids


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as err:
        print(f"{path}: {err}", file=sys.stderr)
        sys.exit(2)


def main(argv):
    if len(argv) == 3 and argv[0] == "enrich":
        bom = enrich(load(argv[1]))
        with open(argv[2], "w", encoding="utf-8") as f:
            json.dump(bom, f, indent=1, sort_keys=True)
            f.write("\n")
        return 0
    if len(argv) == 2 and argv[0] == "check":
        problems = unmatchable(load(argv[1]))
        for p in problems:
            print(p)
        return 1 if problems else 0
    if len(argv) == 3 and argv[0] == "control":
        want = expected(load(argv[1]))
        if not want:
            print(f"{argv[1]} names no `{EXPECT}` property: nothing to check")
            return 1
        missing = [v for v in want if v not in reported(load(argv[2]))]
        for v in missing:
            print(f"the scanner did not report {v} in the known-vulnerable control")
        return 1 if missing else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
