"""Uptime Kuma as code: the parts that can be checked without a cluster.

On the rendered objects of a cluster:
- a container that runs AutoKuma with its static monitors on a ConfigMap, Secret or projected
  volume sets AUTOKUMA__FILES__FOLLOW_SYMLINKS=true (those volumes hold symlinks into `..data`,
  which AutoKuma 2.0.0 skips by default);
- the Uptime Kuma server container sets UPTIME_KUMA_DB_TYPE (no database wizard);
- the AutoKuma entity files parse, `parent_name` names a group entity, `notification_name_list`
  names notification entities, every monitor notifies someone, and every `get_env` reads an
  AUTOKUMA__ENV__ variable the container defines;
- the status page file of the configuration job names only monitors the entity files define, and
  the job gets the admin credentials it needs to create the account and log in.
"""

from __future__ import annotations

import json
import re

from render import Obj

GET_ENV = re.compile(r"get_env\(\s*name\s*=\s*['\"`]([^'\"`]+)['\"`]")
SYMLINK_VOLUMES = ("configMap", "secret", "projected")


def _pod(o: Obj) -> dict | None:
    spec = o.body.get("spec", {})
    if o.kind == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
    if o.kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return spec.get("template", {}).get("spec")
    return None


def _env(c: dict) -> dict[str, dict]:
    return {e.get("name"): e for e in c.get("env") or []}


def _volume_at(pod: dict, c: dict, path: str) -> dict | None:
    """The volume mounted at `path` or at a parent directory of it."""
    best = None
    for m in c.get("volumeMounts") or []:
        mp = m.get("mountPath", "").rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best.get("mountPath", "")):
                best = m
    if best is None:
        return None
    return next((v for v in pod.get("volumes") or [] if v.get("name") == best.get("name")), None)


def _configmap(objs: list[Obj], ns: str | None, volume: dict | None) -> dict | None:
    name = ((volume or {}).get("configMap") or {}).get("name")
    for o in objs:
        if o.kind == "ConfigMap" and o.name == name and o.namespace == ns:
            return o.body.get("data") or {}
    return None


def check_uptime_kuma(objs: list[Obj]) -> list[str]:
    out: list[str] = []
    monitor_names: dict[str | None, set[str]] = {}
    for o in objs:
        pod = _pod(o)
        if pod is None:
            continue
        for c in pod.get("containers") or []:
            env = _env(c)
            where = f"{o.ref()} container {c.get('name')}"
            image = str(c.get("image", ""))
            if image.startswith("louislam/uptime-kuma") and c.get("ports") and "UPTIME_KUMA_DB_TYPE" not in env:
                out.append(f"{where}: no UPTIME_KUMA_DB_TYPE, so Uptime Kuma waits for its database setup wizard")
            static = (env.get("AUTOKUMA__STATIC_MONITORS") or {}).get("value")
            if not static:
                continue
            volume = _volume_at(pod, c, static)
            if volume and set(volume) & set(SYMLINK_VOLUMES) and \
                    str((env.get("AUTOKUMA__FILES__FOLLOW_SYMLINKS") or {}).get("value")).lower() != "true":
                out.append(f"{where}: static monitors on a {sorted(set(volume) & set(SYMLINK_VOLUMES))[0]} "
                           f"volume are symlinks; set AUTOKUMA__FILES__FOLLOW_SYMLINKS=true")
            files = _configmap(objs, o.namespace, volume)
            if files is None:
                out.append(f"{where}: AUTOKUMA__STATIC_MONITORS {static} is not a ConfigMap of the cluster")
                continue
            out += _entity_problems(where, files, set(env))
            monitor_names.setdefault(o.namespace, set()).update(
                e.get("name") for e in _entities(files).values() if e.get("type") not in ("notification", "status_page"))
    for o in objs:
        pod = _pod(o)
        for c in (pod or {}).get("containers") or []:
            env = _env(c)
            page_file = (env.get("STATUS_PAGE_FILE") or {}).get("value")
            if not page_file:
                continue
            where = f"{o.ref()} container {c.get('name')}"
            data = _configmap(objs, o.namespace, _volume_at(pod, c, page_file)) or {}
            text = data.get(page_file.rsplit("/", 1)[-1])
            if text is None:
                out.append(f"{where}: STATUS_PAGE_FILE {page_file} is not in a ConfigMap of the cluster")
                continue
            page = json.loads(text)
            known = monitor_names.get(o.namespace, set())
            for g in page.get("groups") or []:
                for name in g.get("monitors") or []:
                    if name not in known:
                        out.append(f"{where}: status page group {g.get('name')!r} names monitor {name!r}, "
                                   f"which no AutoKuma entity file defines")
            admin = (env.get("KUMA_ADMIN_DIR") or {}).get("value")
            vol = _volume_at(pod, c, admin) if admin else None
            if not (vol and vol.get("secret")):
                out.append(f"{where}: KUMA_ADMIN_DIR must be a Secret volume (the admin credentials)")
    return out


def _entities(files: dict[str, str]) -> dict[str, dict]:
    """AutoKuma ids (the file name without extension) and their entity, JSON files only."""
    out = {}
    for name, text in files.items():
        if name.endswith(".json"):
            try:
                out[name.rsplit(".", 1)[0]] = json.loads(text)
            except ValueError:
                out[name.rsplit(".", 1)[0]] = {"type": None, "_invalid": True}
    return out


def _entity_problems(where: str, files: dict[str, str], env: set[str]) -> list[str]:
    out = []
    ents = _entities(files)
    for eid, e in sorted(ents.items()):
        f = f"{where} {eid}.json"
        if e.get("_invalid"):
            out.append(f"{f}: not JSON")
            continue
        if not e.get("type"):
            out.append(f"{f}: no type")
        parent = e.get("parent_name")
        if parent is not None and (ents.get(parent) or {}).get("type") != "group":
            out.append(f"{f}: parent_name {parent!r} is not a group entity")
        for n in e.get("notification_name_list") or []:
            if (ents.get(n) or {}).get("type") != "notification":
                out.append(f"{f}: notification_name_list names {n!r}, which is not a notification entity")
        if e.get("type") not in ("group", "notification", "status_page", "tag", "docker_host") \
                and not e.get("notification_name_list"):
            out.append(f"{f}: no notification_name_list, so nobody hears when it fails")
        for var in GET_ENV.findall(json.dumps(e)):
            if not var.startswith("AUTOKUMA__ENV__") or var not in env:
                out.append(f"{f}: get_env reads {var}, which is not an AUTOKUMA__ENV__ variable of the container")
    return out
