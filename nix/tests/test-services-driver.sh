# Drives nix/checks/test-services.sh (sourced by checks.nextest's preCheck and postCheck) in
# the sandbox-like directory of nix/tests/sandbox.sh: start both services, use them, stop them,
# and fail if either still answers.
# shellcheck disable=SC2154 # $out comes from the sandbox's environment
set -euo pipefail
# shellcheck source=nix/checks/test-services.sh
. "$1"
startTestServices
pg_isready -d "$DATABASE_URL"
redis-cli -u "$REDIS_URL" ping | grep -q PONG
pg="$DATABASE_URL" redis="$REDIS_URL"
stopTestServices
if pg_isready -q -d "$pg"; then
  echo "PostgreSQL still answers after stopTestServices" >&2 && exit 1
fi
if redis-cli -u "$redis" ping >/dev/null 2>&1; then
  echo "Redis still answers after stopTestServices" >&2 && exit 1
fi
touch "$out"
