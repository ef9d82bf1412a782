# `nix run .#dev` (the default app): the whole app on this machine, like `cargo xtask dev`.
# Throwaway PostgreSQL 15 and Redis from nixpkgs on loopback, the migrations, the API and,
# once the frontend exists, the web server; one URL to open. Ctrl-C stops everything.
{
  pkgs,
  lib,
  api,
  web,
}: let
  script = pkgs.writeShellApplication {
    name = "conduit-dev";
    runtimeInputs = [pkgs.coreutils pkgs.postgresql_15 pkgs.redis api] ++ lib.optional (web != null) web;
    text = ''
      state="''${CONDUIT_DEV_DIR:-''${XDG_RUNTIME_DIR:-/tmp}/conduit-dev-$(id -u)}"
      pg_port="''${CONDUIT_DEV_PG_PORT:-55432}"
      redis_port="''${CONDUIT_DEV_REDIS_PORT:-56379}"
      mkdir -p "$state"
      chmod 700 "$state"

      pids=()
      cleanup() {
        for pid in "''${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
        wait || true
      }
      trap cleanup EXIT INT TERM

      if [ ! -f "$state/pg/PG_VERSION" ]; then
        initdb --pgdata="$state/pg" --username=conduit --auth=trust --encoding=UTF8 --no-locale >/dev/null
      fi
      postgres -D "$state/pg" -k "$state" -h 127.0.0.1 -p "$pg_port" -c fsync=off >"$state/postgres.log" 2>&1 &
      pids+=("$!")
      redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >"$state/redis.log" 2>&1 &
      pids+=("$!")

      for _ in $(seq 100); do
        pg_isready -q -h 127.0.0.1 -p "$pg_port" && break
        sleep 0.1
      done
      createdb -h 127.0.0.1 -p "$pg_port" -U conduit conduit 2>/dev/null || true

      export DATABASE_URL="postgres://conduit@127.0.0.1:$pg_port/conduit"
      export REDIS_URL="redis://127.0.0.1:$redis_port"
      # A fresh random signing key per run unless one is given: development only.
      CONDUIT_JWT_SECRET="''${CONDUIT_JWT_SECRET:-$(head -c 48 /dev/urandom | base64 -w0)}"
      export CONDUIT_JWT_SECRET
      export CONDUIT_ENV=development
      export CONDUIT_LISTEN=127.0.0.1:8080
      export CONDUIT_ADMIN_LISTEN=127.0.0.1:9464
      export RUST_LOG="''${RUST_LOG:-info}"

      conduit-api migrate
      conduit-api serve &
      pids+=("$!")
      url=http://127.0.0.1:8080/api/articles
      ${lib.optionalString (web != null) ''
        (
          cd ${web}/share/conduit-web
          CONDUIT_WEB_LISTEN=127.0.0.1:8081 \
            CONDUIT_API_URL=http://127.0.0.1:8080 \
            CONDUIT_ADMIN_LISTEN=127.0.0.1:9465 \
            exec conduit-web
        ) &
        pids+=("$!")
        url=http://127.0.0.1:8081/
      ''}
      echo
      echo "Conduit is running: open $url   (logs and data in $state; Ctrl-C stops)"
      wait -n
    '';
  };
in {
  # The script itself too, so nix/tests can run its text outside Nix.
  inherit script;
  app = {
    type = "app";
    program = lib.getExe script;
    meta.description = "Run PostgreSQL, Redis, the Conduit API and web app locally";
  };
}
