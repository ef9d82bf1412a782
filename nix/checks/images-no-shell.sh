# checks.images-no-shell: streams each image and runs the scanner (nix/image-scan.py) over
# every layer: no shell, no package manager, a non-root user, the right entrypoint and
# ports. A control image with bash inside must be rejected, so the check is shown to fail
# when it should.
# Inputs besides the contract of nix/checks/promtool.sh: $scanner (the scanner script),
# $apiImage, $webImage (may be empty) and $shellControlImage: executables that write an
# image tarball (docker-archive layout) to stdout, as dockerTools.streamLayeredImage makes.
# tools: python3
# $src, $out and the other inputs come from the derivation's environment.
# shellcheck disable=SC2154
set -euo pipefail

scan() {
  local image="$1"
  shift
  "$image" >image.tar
  python3 "$scanner" image.tar "$@"
}

scan "$apiImage" --user 65532:65532 --entrypoint conduit-api --port 8080 --port 9464
if [ -n "${webImage:-}" ]; then
  scan "$webImage" --user 65532:65532 --entrypoint conduit-web --port 8081 --port 9464
fi
if scan "$shellControlImage"; then
  echo "the scanner did not notice the shell in the control image" >&2
  exit 1
fi
touch "$out"
