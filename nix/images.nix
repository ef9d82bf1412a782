# OCI images, streamed by dockerTools.streamLayeredImage (`nix build .#api-image` gives a
# script that writes the image tarball to stdout). Each image holds the service's runtime
# closure, CA certificates and tzdata, and nothing else: no shell, no package manager, no
# Nix store database. It runs as the numeric user 65532, with fixed timestamps.
{
  pkgs,
  lib,
  self,
  api,
  web,
  version,
}: let
  uid = 65532;
  user = "${toString uid}:${toString uid}";

  # What every image carries besides the service; the SBOMs list these too.
  runtimeExtras = [pkgs.cacert pkgs.tzdata];

  mkImage = {
    name,
    package,
    ports,
    env,
    cmd ? [],
    workingDir ? "/",
    description,
  }:
    pkgs.dockerTools.streamLayeredImage {
      inherit name;
      tag = version;
      # Fixed, so the same inputs give the same image bytes.
      created = "1970-01-01T00:00:01Z";
      contents = runtimeExtras;
      # Runs in the top layer: a passwd/group entry for the numeric user (nothing needs a
      # login shell) and a sticky /tmp for the rare library that wants one (the cluster
      # mounts an emptyDir there, the root file system is read-only).
      extraCommands = ''
        mkdir -p etc tmp
        chmod 1777 tmp
        echo 'nonroot:x:${toString uid}:${toString uid}:nonroot:/nonexistent:/nonexistent' > etc/passwd
        echo 'nonroot:x:${toString uid}:' > etc/group
      '';
      config = {
        Entrypoint = [(lib.getExe package)];
        Cmd = cmd;
        User = user;
        WorkingDir = workingDir;
        ExposedPorts = lib.listToAttrs (map (p: lib.nameValuePair "${toString p}/tcp" {}) ports);
        Env = lib.mapAttrsToList (n: v: "${n}=${v}") ({
            SSL_CERT_FILE = "${pkgs.cacert}/etc/ssl/certs/ca-bundle.crt";
            TZDIR = "${pkgs.tzdata}/share/zoneinfo";
            RUST_LOG = "info";
          }
          // env);
        Labels = {
          "org.opencontainers.image.title" = "conduit-${name}";
          "org.opencontainers.image.description" = description;
          "org.opencontainers.image.source" = "https://github.com/conduit-platform/conduit";
          "org.opencontainers.image.revision" = self.rev or "dirty";
          "org.opencontainers.image.version" = version;
          "org.opencontainers.image.licenses" = "MIT";
        };
      };
    };
in {
  inherit runtimeExtras uid;

  api = mkImage {
    name = "api";
    package = api;
    cmd = ["serve"];
    ports = [8080 9464];
    env = {
      CONDUIT_LISTEN = "0.0.0.0:8080";
      CONDUIT_ADMIN_LISTEN = "0.0.0.0:9464";
      CONDUIT_ENV = "production";
    };
    description = "Conduit API (conduit-api serve; conduit-api migrate runs the migrations)";
  };

  web =
    if web == null
    then null
    else
      mkImage {
        name = "web";
        package = web;
        ports = [8081 9464];
        # The server finds the files `cargo xtask dist` built relative to its directory.
        workingDir = "${web}/share/conduit-web";
        env = {
          CONDUIT_WEB_LISTEN = "0.0.0.0:8081";
          CONDUIT_ADMIN_LISTEN = "0.0.0.0:9464";
          CONDUIT_API_URL = "http://conduit-api.conduit.svc.cluster.local:8080";
        };
        description = "Conduit web frontend (Perseus)";
      };

  # A deliberately bad image (bash inside) that the images-no-shell check must reject, so
  # the scanner is shown to fail when it should.
  shellControl = pkgs.dockerTools.streamLayeredImage {
    name = "shell-control";
    tag = "test";
    contents = [pkgs.bashInteractive];
    config.User = user;
  };
}
