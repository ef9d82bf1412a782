# checks.nextest, sourced by its preCheck and postCheck: one throwaway PostgreSQL and one
# Redis for the whole test run, on free loopback ports, like `cargo xtask test` starts them
# (each test process then creates its own database in that server, instead of starting a
# cluster of its own). `startTestServices` exports DATABASE_URL and REDIS_URL;
# `stopTestServices` stops both and fails if either is still running.
# Contract: see nix/checks/promtool.sh (run from the writable build directory).
# tools: initdb postgres pg_ctl pg_isready redis-server redis-cli python3

freeLoopbackPort() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

startTestServices() {
  local dir
  dir="$(pwd)/test-services"
  mkdir -p "$dir"
  testServicesDir="$dir"

  local pg_port redis_port
  pg_port=$(freeLoopbackPort)
  initdb -D "$dir/pg" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log"
  # Throwaway data: durability off. A socket directory of our own (the default /run/postgresql
  # does not exist in the sandbox).
  pg_ctl -D "$dir/pg" -l "$dir/postgres.log" -w -t 60 start -o \
    "-h 127.0.0.1 -p $pg_port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
  pg_isready -q -h 127.0.0.1 -p "$pg_port"
  export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"

  redis_port=$(freeLoopbackPort)
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  local i
  for i in $(seq 100); do
    if redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; then break; fi
    if [ "$i" = 100 ]; then
      echo "redis-server did not answer on 127.0.0.1:$redis_port" >&2
      cat "$dir/redis.log" >&2
      return 1
    fi
    sleep 0.1
  done
  export REDIS_URL="redis://127.0.0.1:$redis_port"
  echo "test services: DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL"
}

stopTestServices() {
  local dir="${testServicesDir:?startTestServices did not run}"
  pg_ctl -D "$dir/pg" -m fast -w -t 60 stop
  local port="${REDIS_URL##*:}" pid
  pid=$(cat "$dir/redis.pid")
  redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
  local i
  for i in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if [ "$i" = 100 ]; then
      echo "redis-server is still running after shutdown" >&2
      return 1
    fi
    sleep 0.1
  done
  unset DATABASE_URL REDIS_URL
  echo "test services stopped"
}
