# `nix flake check`: the same gates as `cargo xtask test` and CI, each in the sandbox.
{
  pkgs,
  lib,
  craneLib,
  source,
  rust,
  images,
  alejandra,
  terraform,
  root,
  advisory-db,
}: let
  inherit (rust) commonArgs cargoArtifacts;
  fs = lib.fileset;
  has = dir: builtins.pathExists (root + "/${dir}");
  subtree = dir:
    fs.toSource {
      inherit root;
      fileset = root + "/${dir}";
    };

  # Every check that is a shell script keeps it in nix/checks/<name>.sh, under the contract
  # written at the top of nix/checks/promtool.sh ($src read-only, a fresh $out, the build
  # directory as working directory, tools from nativeBuildInputs). `cargo xtask test --only
  # nix` runs the same files outside Nix in a sandbox-like directory, so a script that cannot
  # pass in the sandbox fails there first.
  runCheckScript = name: {
    script,
    tools,
    source ? null,
    env ? {},
  }:
    pkgs.runCommand "conduit-${name}-check" ({nativeBuildInputs = tools;}
      // lib.optionalAttrs (source != null) {src = subtree source;}
      // env) "bash ${script}";
  pythonWithYaml = pkgs.python3.withPackages (p: [p.pyyaml]);
in
  {
    clippy = craneLib.cargoClippy (commonArgs
      // {
        inherit cargoArtifacts;
        cargoExtraArgs = "--locked";
        # conduit-web is linted per half (engine, client) by `cargo xtask test --only web`.
        cargoClippyExtraArgs = "--workspace --exclude conduit-web --all-targets -- --deny warnings";
      });

    fmt = craneLib.cargoFmt {
      src = source.rust;
      pname = "conduit";
      inherit (rust) version;
      cargoExtraArgs = "--all";
    };

    # One PostgreSQL 15 and one Redis (nixpkgs) for the whole run, started in preCheck and
    # stopped in postCheck by nix/checks/test-services.sh, their URLs exported, as `cargo xtask
    # test` does: each test process then makes a database in that server instead of starting
    # a cluster of its own. nextest runs no doctests, so postCheck runs them (with
    # cargoWithProfile, crane's `cargo --profile $CARGO_PROFILE` helper, lib/setupHooks/
    # cargoHelperFunctionsHook.sh@b8d87f7), before the servers stop. crane's cargoNextest
    # (lib/cargoNextest.nix:65-70,79-88@b8d87f7) owns checkPhaseCargoCommand and prepends to
    # preConfigure only, so preCheck/postCheck are ours. The reference data the OpenAPI test
    # compares against is not in the sandbox: that one test skips loudly.
    nextest = craneLib.cargoNextest (commonArgs
      // {
        inherit cargoArtifacts;
        doCheck = true;
        cargoExtraArgs = "--locked";
        cargoNextestExtraArgs = "--workspace --exclude conduit-web --no-fail-fast";
        nativeBuildInputs = [pkgs.postgresql_15 pkgs.redis pkgs.python3];
        env.CONDUIT_ALLOW_MISSING_SHARED = "1";
        preCheck = ''
          source ${./checks/test-services.sh}
          startTestServices
        '';
        postCheck = ''
          cargoWithProfile test --locked --workspace --exclude conduit-web --doc
          stopTestServices
        '';
      });

    # The shared types must keep compiling for the browser, as `cargo xtask test` checks
    # (`cargo check -p conduit-types --target wasm32-unknown-unknown`); the toolchain from
    # rust-toolchain.toml has the target.
    types-wasm32 = craneLib.mkCargoDerivation (commonArgs
      // {
        pname = "conduit-types-wasm32";
        cargoArtifacts = null;
        buildPhaseCargoCommand = "cargoWithProfile check --locked -p conduit-types --target wasm32-unknown-unknown";
        doInstallCargoArtifacts = false;
      });

    audit = craneLib.cargoAudit {
      src = source.rust;
      pname = "conduit";
      inherit (rust) version;
      inherit advisory-db;
    };

    deny = craneLib.cargoDeny (commonArgs
      // {
        cargoDenyChecks = "bans licenses sources";
      });

    # The Nix lint is the xtask suite itself (alejandra, deadnix, lock and pinned-API
    # checks), plus the flake's own formatter over the same files.
    nix-lint = craneLib.mkCargoDerivation (commonArgs
      // {
        inherit cargoArtifacts;
        src = source.nix;
        pname = "conduit-nix-lint";
        nativeBuildInputs = [pkgs.python3 pkgs.deadnix alejandra];
        env.CONDUIT_ALLOW_MISSING_SHARED = "1";
        buildPhaseCargoCommand = ''
          cargo run --release --locked --offline --package xtask -- test --only nix
          alejandra --check flake.nix nix
        '';
        doInstallCargoArtifacts = false;
      });

    images-no-shell = runCheckScript "images-no-shell" {
      script = ./checks/images-no-shell.sh;
      tools = [pkgs.python3];
      env = {
        scanner = ./image-scan.py;
        apiImage = images.api;
        webImage = lib.optionalString (images.web != null) "${images.web}";
        shellControlImage = images.shellControl;
      };
    };
  }
  // lib.optionalAttrs (has "terraform") {
    terraform = runCheckScript "terraform" {
      script = ./checks/terraform.sh;
      source = "terraform";
      tools = [terraform];
    };
  }
  // lib.optionalAttrs (has "kustomize") {
    # Every kustomization renders, and every rendered object is a well-formed Kubernetes
    # object. Schema validation against the CRD schemas needs ../shared and runs in
    # `cargo xtask test --only kustomize`.
    kustomize = runCheckScript "kustomize" {
      script = ./checks/kustomize.sh;
      source = "kustomize";
      tools = [pkgs.kustomize pythonWithYaml];
    };

    promtool = runCheckScript "promtool" {
      script = ./checks/promtool.sh;
      source = "kustomize";
      tools = [pkgs.prometheus.cli pythonWithYaml];
    };
  }
