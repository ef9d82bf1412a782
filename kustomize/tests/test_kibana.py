"""Self-tests of kibana.py: each fault in the Kibana saved objects must be found, and the
generated file must be current."""

from __future__ import annotations

import json
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kibana import check_kibana_objects  # noqa: E402
from render import Obj  # noqa: E402

STACK = Path(__file__).resolve().parents[1] / "monitoring" / "logging" / "elk" / "stack"


def cluster(ndjson: str, template: str | None = None) -> list[Obj]:
    tmpl = template if template is not None else (STACK / "index-template.json").read_text()
    return [Obj({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n, "namespace": "logging"},
                 "data": d}, "logging-elk", "test")
            for n, d in (("kibana", {"kibana-objects.ndjson": ndjson}), ("ilm", {"index-template.json": tmpl}))]


def committed() -> list[dict]:
    return [json.loads(line) for line in (STACK / "kibana-objects.ndjson").read_text().splitlines()]


def dump(objs: list[dict]) -> str:
    return "".join(json.dumps(o) + "\n" for o in objs)


class KibanaObjects(unittest.TestCase):
    def test_generated_file_is_current_and_holds_together(self):
        p = subprocess.run([sys.executable, str(STACK / "kibana_objects.py"), "--check"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(check_kibana_objects(cluster(dump(committed()))), [])

    def test_unmapped_field_fails(self):
        objs = committed()
        search = next(o for o in objs if o["type"] == "search")
        search["attributes"]["columns"].append("latency")
        problems = check_kibana_objects(cluster(dump(objs)))
        self.assertTrue(any("field latency is not mapped" in p for p in problems), problems)
        # and the fields the searches rely on must stay mapped
        tmpl = json.loads((STACK / "index-template.json").read_text())
        del tmpl["template"]["mappings"]["properties"]["kubernetes"]
        problems = check_kibana_objects(cluster(dump(committed()), json.dumps(tmpl)))
        self.assertTrue(any("kubernetes.namespace_name is not mapped" in p for p in problems), problems)

    def test_dangling_and_misnamed_references_fail(self):
        objs = committed()
        dash = next(o for o in objs if o["type"] == "dashboard")
        dash["references"][0]["id"] = "gone"
        dash["references"][1]["name"] = "panel_2"
        problems = check_kibana_objects(cluster(dump(objs)))
        self.assertTrue(any("which is not in the file" in p for p in problems), problems)
        self.assertTrue(any("needs a reference named 2:panel_2" in p for p in problems), problems)

    def test_data_view_must_match_the_indices(self):
        objs = committed()
        next(o for o in objs if o["type"] == "index-pattern")["attributes"]["title"] = "logs-*"
        self.assertTrue(check_kibana_objects(cluster(dump(objs))))


if __name__ == "__main__":
    unittest.main()
