"""Tests of nix/sbom-scan.py on the committed known-vulnerable control SBOM (release.yml and
security.yml run the script before grype). Run by the workflows suite:
python3 nix/tests/sbom_scan_test.py
"""

import importlib.util
import json
import pathlib
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("sbom_scan", ROOT / "nix" / "sbom-scan.py")
sbom_scan = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sbom_scan)
CONTROL = json.loads((ROOT / ".github/scan-control/known-vulnerable.cdx.json").read_text())


def report(ids):
    """A scanner report in grype's JSON shape naming `ids`."""
    return {"matches": [{"vulnerability": {"id": i}, "relatedVulnerabilities": []} for i in ids]}


class ControlTest(unittest.TestCase):
    def test_bombons_raw_sbom_is_unmatchable_and_rejected(self):
        self.assertTrue(any(p.startswith("glibc@") for p in sbom_scan.unmatchable(CONTROL)))

    def test_enriched_every_store_path_is_matchable(self):
        enriched = sbom_scan.enrich(json.loads(json.dumps(CONTROL)))
        self.assertEqual(sbom_scan.unmatchable(enriched), [])
        glibc = next(c for c in enriched["components"] if c["name"] == "glibc")
        self.assertTrue(glibc["cpe"].startswith("cpe:2.3:a:gnu:glibc:2.35:"))

    def test_a_report_missing_an_expected_advisory_fails_the_control(self):
        want = sbom_scan.expected(CONTROL)
        self.assertGreaterEqual(len(want), 2, "a store-path and a crate advisory")
        self.assertTrue(set(want) <= sbom_scan.reported(report(want)))
        self.assertFalse(set(want) <= sbom_scan.reported(report(want[1:])))


if __name__ == "__main__":
    unittest.main()
