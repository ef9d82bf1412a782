"""Tests of nix/image-scan.py, the scanner behind the flake's `images-no-shell` check.

Builds small image tarballs in the layout a dockerTools stream script writes
(manifest.json, a config blob, one tar per layer) and checks the verdicts.
Run: python3 nix/tests/image_scan_test.py
"""

import importlib.util
import io
import json
import pathlib
import tarfile
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("image_scan", HERE.parent / "image-scan.py")
image_scan = importlib.util.module_from_spec(spec)
spec.loader.exec_module(image_scan)

STORE = "nix/store/0123456789abcdfghijklmnpqrsvwxyz"


def add_file(tar, name, data=b"", mode=0o555):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def make_image(path, layers, config):
    with tarfile.open(path, "w") as image:
        names = []
        for i, files in enumerate(layers):
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as layer:
                for f in files:
                    add_file(layer, f)
            name = f"layer{i}/layer.tar"
            add_file(image, name, buf.getvalue(), 0o444)
            names.append(name)
        add_file(image, "config.json", json.dumps({"config": config}).encode(), 0o444)
        manifest = [{"Config": "config.json", "RepoTags": ["api:test"], "Layers": names}]
        add_file(image, "manifest.json", json.dumps(manifest).encode(), 0o444)


GOOD_CONFIG = {
    "User": "65532:65532",
    "Entrypoint": [f"/{STORE}-conduit-api-0.1.0/bin/conduit-api"],
    "Cmd": ["serve"],
    "ExposedPorts": {"8080/tcp": {}, "9464/tcp": {}},
}
GOOD_LAYERS = [
    [f"{STORE}-glibc-2.40/lib/libc.so.6"],
    [f"{STORE}-conduit-api-0.1.0/bin/conduit-api"],
    [f"{STORE}-cacert-3.1/etc/ssl/certs/ca-bundle.crt", "etc/passwd", "tmp/"],
]
ARGS = dict(user="65532:65532", entrypoint="conduit-api", ports=(8080, 9464))


class ImageScanTest(unittest.TestCase):
    def scan(self, layers, config=GOOD_CONFIG, **kwargs):
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "image.tar"
            make_image(path, layers, config)
            return image_scan.scan(path, **{**ARGS, **kwargs})[1]

    def test_clean_image_passes(self):
        self.assertEqual(self.scan(GOOD_LAYERS), [])

    def test_shell_in_the_store_is_found(self):
        problems = self.scan(GOOD_LAYERS + [[f"{STORE}-bash-5.2/bin/bash"]])
        self.assertTrue(any("shell" in p and "bash" in p for p in problems), problems)

    def test_bin_sh_link_and_busybox_are_found(self):
        problems = self.scan(GOOD_LAYERS + [["bin/sh", f"{STORE}-busybox/bin/busybox"]])
        self.assertEqual(len([p for p in problems if p.startswith("shell")]), 2, problems)

    def test_package_manager_is_found(self):
        problems = self.scan(GOOD_LAYERS + [[f"{STORE}-nix-2.24/bin/nix-env"], ["usr/bin/apt-get"]])
        self.assertEqual(len([p for p in problems if p.startswith("package manager")]), 2, problems)

    def test_root_user_fails(self):
        for user in ("", "0", "root", "0:0"):
            problems = self.scan(GOOD_LAYERS, {**GOOD_CONFIG, "User": user}, user=None)
            self.assertTrue(any("root" in p for p in problems), (user, problems))

    def test_wrong_entrypoint_and_missing_port_fail(self):
        config = {**GOOD_CONFIG, "Entrypoint": ["/bin/other"], "ExposedPorts": {"8080/tcp": {}}}
        problems = self.scan(GOOD_LAYERS, config)
        self.assertTrue(any("Entrypoint" in p for p in problems), problems)
        self.assertTrue(any("9464" in p for p in problems), problems)

    def test_files_named_like_shells_outside_bin_are_fine(self):
        self.assertEqual(self.scan(GOOD_LAYERS + [[f"{STORE}-docs/share/doc/bash"]]), [])

    def test_not_an_image(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "plain.tar"
            with tarfile.open(path, "w") as t:
                add_file(t, "hello.txt", b"hi")
            with self.assertRaises(SystemExit):
                image_scan.scan(path)

    def test_command_line_exit_codes(self):
        with tempfile.TemporaryDirectory() as tmp:
            good = pathlib.Path(tmp) / "good.tar"
            bad = pathlib.Path(tmp) / "bad.tar"
            make_image(good, GOOD_LAYERS, GOOD_CONFIG)
            make_image(bad, GOOD_LAYERS + [["bin/bash"]], GOOD_CONFIG)
            args = ["--user", "65532:65532", "--entrypoint", "conduit-api", "--port", "8080"]
            self.assertEqual(image_scan.main([str(good), *args]), 0)
            self.assertEqual(image_scan.main([str(bad), *args]), 1)


if __name__ == "__main__":
    unittest.main()
