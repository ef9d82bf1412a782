#!/usr/bin/env python3
"""Inspect an image tarball (as written by a dockerTools stream script) and fail if it
holds a shell or a package manager, runs as root, or lacks the expected entrypoint.

Usage: image-scan.py IMAGE.tar [--user UID:GID] [--entrypoint NAME] [--port N ...]
Exit status 0: clean; 1: findings (printed); 2: the tarball is not an image.
"""

import argparse
import io
import json
import posixpath
import sys
import tarfile

# Programs that give an attacker an interpreter or a way to install one.
SHELLS = {"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish",
          "busybox", "toybox", "nu", "elvish", "xonsh"}
PACKAGE_MANAGERS = {"apt", "apt-get", "dpkg", "apk", "yum", "dnf", "rpm", "microdnf",
                    "zypper", "pacman", "nix", "nix-env", "nix-store", "nix-shell",
                    "nix-daemon", "pip", "pip3", "npm", "gem"}


def findings_for(path):
    """Why a file at `path` (inside a layer) must not be in the image, or None."""
    name = posixpath.basename(path.rstrip("/"))
    parent = posixpath.basename(posixpath.dirname(path.rstrip("/")))
    if parent not in ("bin", "sbin"):
        return None
    if name in SHELLS:
        return f"shell: {path}"
    if name in PACKAGE_MANAGERS:
        return f"package manager: {path}"
    return None


def scan(tar_path, user=None, entrypoint=None, ports=()):
    problems = []
    with tarfile.open(tar_path) as image:
        try:
            manifest = json.load(image.extractfile("manifest.json"))[0]
        except (KeyError, ValueError, IndexError) as err:
            raise SystemExit(f"{tar_path}: not an image tarball ({err})") from None
        config = json.load(image.extractfile(manifest["Config"])).get("config", {})
        files = 0
        for layer_name in manifest["Layers"]:
            data = image.extractfile(layer_name).read()
            with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                for member in layer.getmembers():
                    files += 1
                    problem = findings_for(member.name)
                    if problem:
                        problems.append(problem)
    if files == 0:
        problems.append("the image has no files at all")
    actual_user = config.get("User", "")
    if not actual_user or actual_user.split(":")[0] in ("", "0", "root"):
        problems.append(f"runs as root (User={actual_user!r})")
    if user is not None and actual_user != user:
        problems.append(f"User is {actual_user!r}, expected {user!r}")
    if entrypoint is not None:
        ep = config.get("Entrypoint") or []
        if not ep or posixpath.basename(ep[0]) != entrypoint:
            problems.append(f"Entrypoint is {ep!r}, expected .../{entrypoint}")
    exposed = set(config.get("ExposedPorts") or {})
    for port in ports:
        if f"{port}/tcp" not in exposed:
            problems.append(f"port {port}/tcp is not exposed ({sorted(exposed)})")
    return files, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image")
    parser.add_argument("--user")
    parser.add_argument("--entrypoint")
    parser.add_argument("--port", type=int, action="append", default=[])
    args = parser.parse_args(argv)
    files, problems = scan(args.image, args.user, args.entrypoint, args.port)
    for problem in problems:
        print(f"{args.image}: {problem}")
    if problems:
        return 1
    print(f"{args.image}: {files} files, no shell, no package manager, non-root")
    return 0


if __name__ == "__main__":
    sys.exit(main())
