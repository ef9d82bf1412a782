"""Self-tests of the Uptime Kuma configuration code: the CronJob's reconcile.js against an
in-memory Uptime Kuma (fixtures/fake-socket.io-client), and uptime_kuma.check_uptime_kuma on
manifests that reintroduce each fault of issue 16 item 8."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import uptime_kuma  # noqa: E402
from render import Obj  # noqa: E402

HERE = Path(__file__).resolve().parent
KUMA = HERE.parents[0] / "monitoring" / "controllers" / "uptime-kuma"
FAKE = HERE / "fixtures" / "fake-socket.io-client"

MONITORS = {
    "1": {"id": 1, "name": "Frontend (public)"},
    "2": {"id": 2, "name": "API /api/tags (public)"},
    "3": {"id": 3, "name": "DNS conduit.example.com"},
    "4": {"id": 4, "name": "conduit-api /healthz (in cluster)"},
    "5": {"id": 5, "name": "conduit-web /healthz (in cluster)"},
    "6": {"id": 6, "name": "PostgreSQL port (TCP)"},
}


@unittest.skipUnless(shutil.which("node"), "needs node")
class Reconcile(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp)
        page = (KUMA / "status-page" / "status-page.json").read_text()
        page = page.replace("${APP_HOST}", "conduit.example.com").replace("${ENVIRONMENT}", "staging")
        (self.tmp / "status-page.json").write_text(page)
        (self.tmp / "admin").mkdir()
        (self.tmp / "admin" / "username").write_text("admin\n")
        (self.tmp / "admin" / "password").write_text("a-long-password-1\n")
        self.state = self.tmp / "state.json"
        self.write_state({"users": [], "monitors": MONITORS, "pages": {}, "calls": []})

    def write_state(self, state):
        self.state.write_text(json.dumps(state))

    def run_job(self) -> subprocess.CompletedProcess:
        env = dict(os.environ, NODE_PATH=str(FAKE), FAKE_KUMA_STATE=str(self.state),
                   KUMA_URL="http://uptime-kuma:3001", STATUS_PAGE_FILE=str(self.tmp / "status-page.json"),
                   KUMA_ADMIN_DIR=str(self.tmp / "admin"))
        return subprocess.run(["node", str(KUMA / "status-page" / "reconcile.js")], env=env,
                              capture_output=True, text=True, timeout=60)

    def test_first_run_sets_up_then_converges_idempotently(self):
        p = self.run_job()
        self.assertEqual(p.returncode, 0, p.stderr)
        s = json.loads(self.state.read_text())
        self.assertEqual(s["users"], [{"username": "admin", "password": "a-long-password-1"}])
        self.assertIn("addStatusPage", s["calls"])
        page = s["pages"]["conduit"]
        self.assertEqual([[m["id"] for m in g["monitorList"]] for g in page["groups"]], [[1, 2, 3], [4, 5, 6]])
        self.assertIs(page["config"]["showPoweredBy"], False)
        self.assertEqual(page["config"]["icon"], "/icon.svg")
        # second run: no setup, no new page, the same result
        s["calls"] = []
        self.write_state(s)
        p = self.run_job()
        self.assertEqual(p.returncode, 0, p.stderr)
        s2 = json.loads(self.state.read_text())
        self.assertNotIn("setup", s2["calls"])
        self.assertNotIn("addStatusPage", s2["calls"])
        self.assertEqual(s2["pages"], s["pages"])

    def test_missing_monitor_fails_without_saving(self):
        state = json.loads(self.state.read_text())
        del state["monitors"]["6"]
        self.write_state(state)
        p = self.run_job()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("PostgreSQL port (TCP)", p.stderr)
        self.assertNotIn("saveStatusPage", json.loads(self.state.read_text())["calls"])

    def test_wrong_password_fails(self):
        state = json.loads(self.state.read_text())
        state["users"] = [{"username": "admin", "password": "another"}]
        self.write_state(state)
        p = self.run_job()
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("login failed", p.stderr)


def rendered_kuma() -> list[Obj]:
    """The uptime-kuma directory rendered, with the Flux variables it uses filled in."""
    out = subprocess.run(["kubectl", "kustomize", str(KUMA)], capture_output=True, text=True, check=True).stdout
    out = out.replace("${APP_HOST}", "conduit.example.com").replace("${ENVIRONMENT}", "staging")
    return [Obj(d, "monitoring-controllers", "test") for d in yaml.safe_load_all(out) if d]


def env_of(objs, container):
    for o in objs:
        if o.kind == "Deployment":
            for c in o.body["spec"]["template"]["spec"]["containers"]:
                if c["name"] == container:
                    return c.setdefault("env", [])
    raise AssertionError(container)


def configmap(objs, prefix):
    return next(o for o in objs if o.kind == "ConfigMap" and o.name.startswith(prefix))


@unittest.skipUnless(shutil.which("kubectl"), "needs kubectl")
class Manifests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.objs = rendered_kuma()

    def objs_(self):
        return [Obj(copy.deepcopy(o.body), o.owner, o.source) for o in self.objs]

    def test_the_committed_manifests_pass(self):
        self.assertEqual(uptime_kuma.check_uptime_kuma(self.objs_()), [])

    def test_configmap_monitors_without_follow_symlinks_fail(self):
        objs = self.objs_()
        env = env_of(objs, "autokuma")
        env[:] = [e for e in env if e["name"] != "AUTOKUMA__FILES__FOLLOW_SYMLINKS"]
        problems = uptime_kuma.check_uptime_kuma(objs)
        self.assertTrue(any("FOLLOW_SYMLINKS" in p for p in problems), problems)

    def test_database_wizard_fails(self):
        objs = self.objs_()
        env = env_of(objs, "uptime-kuma")
        env[:] = [e for e in env if e["name"] != "UPTIME_KUMA_DB_TYPE"]
        self.assertTrue(any("UPTIME_KUMA_DB_TYPE" in p for p in uptime_kuma.check_uptime_kuma(objs)))

    def test_status_page_naming_an_unknown_monitor_fails(self):
        objs = self.objs_()
        cm = configmap(objs, "uptime-kuma-config")
        page = json.loads(cm.body["data"]["status-page.json"])
        page["groups"][0]["monitors"].append("Frontend (publik)")
        cm.body["data"]["status-page.json"] = json.dumps(page)
        problems = uptime_kuma.check_uptime_kuma(objs)
        self.assertTrue(any("Frontend (publik)" in p for p in problems), problems)

    def test_entity_references(self):
        objs = self.objs_()
        cm = configmap(objs, "uptime-kuma-monitors")
        api = json.loads(cm.body["data"]["api-tags.json"])
        api["notification_name_list"] = ["slak"]
        api["parent_name"] = "nope"
        cm.body["data"]["api-tags.json"] = json.dumps(api)
        slack = json.loads(cm.body["data"]["slack.json"])
        slack["config"]["slackwebhookURL"] = "{{ get_env(name='AUTOKUMA__ENV__MISSING') }}"
        cm.body["data"]["slack.json"] = json.dumps(slack)
        web = json.loads(cm.body["data"]["web-public.json"])
        del web["notification_name_list"]
        cm.body["data"]["web-public.json"] = json.dumps(web)
        problems = uptime_kuma.check_uptime_kuma(objs)
        for needle in ("slak", "nope", "AUTOKUMA__ENV__MISSING", "web-public.json: no notification"):
            self.assertTrue(any(needle in p for p in problems), (needle, problems))


if __name__ == "__main__":
    unittest.main()
