# Fixture: succeeds without creating $out. Must fail.
# tools: bash
set -eu
true
