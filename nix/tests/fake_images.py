"""Writes small image tarballs standing in for the flake's images, for running
nix/checks/images-no-shell.sh outside Nix: api.tar and web.tar as the real images must
look (user 65532, entrypoint, ports, no shell) and shell-control.tar with bash inside, and
beside each a stream-<name> executable that writes it to stdout.
The layout is the one dockerTools' stream scripts write (see image_scan_test.make_image).

Usage: python3 nix/tests/fake_images.py OUTPUT_DIR
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from image_scan_test import GOOD_CONFIG, GOOD_LAYERS, STORE, make_image  # noqa: E402

WEB_CONFIG = {
    **GOOD_CONFIG,
    "Entrypoint": [f"/{STORE}-conduit-web-0.1.0/bin/conduit-web"],
    "Cmd": [],
    "ExposedPorts": {"8081/tcp": {}, "9464/tcp": {}},
}
WEB_LAYERS = [
    [f"{STORE}-glibc-2.40/lib/libc.so.6"],
    [f"{STORE}-conduit-web-0.1.0/bin/conduit-web", f"{STORE}-conduit-web-0.1.0/share/conduit-web/dist/pkg/perseus_engine_bg.wasm"],
    [f"{STORE}-cacert-3.1/etc/ssl/certs/ca-bundle.crt", "etc/passwd", "tmp/"],
]
SHELL_LAYERS = [[f"{STORE}-bash-interactive-5.2/bin/bash"]]


def main(out):
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    make_image(out / "api.tar", GOOD_LAYERS, GOOD_CONFIG)
    make_image(out / "web.tar", WEB_LAYERS, WEB_CONFIG)
    make_image(out / "shell-control.tar", SHELL_LAYERS, {"User": "65532:65532"})
    # Executables that write each image to stdout, as dockerTools.streamLayeredImage makes.
    for name in ("api", "web", "shell-control"):
        stream = out / f"stream-{name}"
        stream.write_text(f"#!/bin/sh\nexec cat '{out / name}.tar'\n")
        stream.chmod(0o755)


if __name__ == "__main__":
    main(sys.argv[1])
