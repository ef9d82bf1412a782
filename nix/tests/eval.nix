# Evaluates flake.nix and nix/*.nix for real, with the real nixpkgs `lib` but stand-ins for
# the packages, crane, rust-overlay and bombon (which cannot be fetched on the development
# machines), and asserts what the outputs must look like. Builds nothing.
#
#   CONDUIT_NIXPKGS_LIB=<dir with lib/> nix-instantiate --eval --strict --json \
#     nix/tests/eval.nix --arg root <copy of the repository>
#
# `cargo xtask test --only nix` runs it when both are available.
{root}: let
  lib = import ./lib.nix;
  systems = ["aarch64-linux" "x86_64-linux"];
  drv = name: attrs:
    {
      type = "derivation";
      inherit name;
      outPath = "/nix/store/eval-${name}";
    }
    // attrs;
  # A crane library whose builders return their arguments.
  builder = kind: args:
    drv "${kind}-${args.pname or "crate"}" {
      inherit args kind;
      meta = args.meta or {};
      # Like mkDerivation's: the new attributes over the old, passthru at the top level.
      overrideAttrs = f: let
        new = builder kind (args // f args);
      in
        new // (new.args.passthru or {});
    };
  craneLib = {
    overrideToolchain = _: craneLib;
    fileset.commonCargoSources = path:
      lib.fileset.unions [
        (lib.fileset.fileFilter (f: f.hasExt "rs" || f.hasExt "toml") path)
        (lib.fileset.maybeMissing (path + "/Cargo.lock"))
      ];
    buildDepsOnly = builder "deps";
    buildPackage = builder "package";
    mkCargoDerivation = builder "cargo";
    cargoClippy = builder "clippy";
    cargoFmt = builder "fmt";
    cargoNextest = builder "nextest";
    cargoAudit = builder "audit";
    cargoDeny = builder "deny";
    devShell = builder "shell";
    downloadCargoPackage = args: drv "crate-${args.name}-${args.version}" {inherit args;};
    vendorCargoDeps = args: drv "vendor-cargo-deps" {inherit args;};
    removeReferencesToVendoredSourcesHook = drv "removeReferencesToVendoredSourcesHook" {};
    removeReferencesToRustToolchainHook = drv "removeReferencesToRustToolchainHook" {};
  };
  bombon = {
    buildBom = package: options: drv "${package.name}.cdx.json" {inherit package options;};
    passthruVendoredSbom.rust = package: _: package // {bombonVendoredSbom = drv "vendored-sbom" {};};
  };
  inputs = {
    nixpkgs = {
      outPath = ./stand-in-nixpkgs.nix;
      inherit lib;
    };
    crane.mkLib = _: craneLib;
    rust-overlay.lib.mkRustBin = _: _: {fromRustupToolchainFile = file: drv "rust-toolchain" {inherit file;};};
    bombon.lib = lib.genAttrs systems (_: bombon);
    advisory-db = "/nix/store/eval-advisory-db";
    alejandra-src = "/nix/store/eval-alejandra-src";
  };
  self = inputs // {rev = "0123456789abcdef0123456789abcdef01234567";};
  out = (import (root + "/flake.nix")).outputs (inputs // {inherit self;});

  check = cond: msg:
    if cond
    then true
    else throw "eval test: ${msg}";
  sorted = xs: lib.sort lib.lessThan xs;
  hasWeb = builtins.pathExists (root + "/web/Cargo.toml");

  x = "x86_64-linux";
  packages = out.packages.${x};
  checks = out.checks.${x};
  image = packages.api-image.args;
  env = lib.listToAttrs (map (e: let
    kv = lib.splitString "=" e;
  in
    lib.nameValuePair (builtins.head kv) (lib.concatStringsSep "=" (builtins.tail kv)))
  image.config.Env);
  rustSrc = checks.clippy.args.src;
  nixSrc = checks.nix-lint.args.src;
  inSrc = src: rel: src.filter (toString (root + "/${rel}")) "regular";
  expectedChecks = ["audit" "clippy" "deny" "fmt" "images-no-shell" "nextest" "nix-lint" "types-wasm32"] ++ lib.optional (builtins.pathExists (root + "/kustomize")) "kustomize" ++ lib.optional (builtins.pathExists (root + "/kustomize")) "promtool" ++ lib.optional (builtins.pathExists (root + "/terraform")) "terraform";
  expectedPackages = ["api" "api-image" "api-sbom" "default"] ++ lib.optionals hasWeb ["web" "web-image" "web-sbom"];

  assertions = [
    (check (sorted (builtins.attrNames out.packages) == systems) "packages for ${toString systems}")
    (check (sorted (builtins.attrNames out.checks) == systems) "checks for both systems")
    (check (sorted (builtins.attrNames packages) == sorted expectedPackages) "packages are ${toString (builtins.attrNames packages)}")
    (check (packages.default == packages.api) "default is api")
    (check (sorted (builtins.attrNames checks) == sorted expectedChecks) "checks are ${toString (builtins.attrNames checks)}")
    (check (out.apps.${x}.dev == out.apps.${x}.default) "the default app is dev")
    (check (out.apps.${x}.dev.type == "app" && lib.hasSuffix "/bin/conduit-dev" out.apps.${x}.dev.program) "apps.dev runs conduit-dev")
    (check (out.devShells.${x}.default.kind == "shell") "a dev shell")
    (check (let
      fmt = out.formatter.${x};
      alejandra = builtins.head fmt.runtimeInputs;
    in
      alejandra.args.cargoExtraArgs == "--locked --package alejandra_cli" && alejandra.args.src == inputs.alejandra-src)
    "formatter is alejandra from the pinned source")
    # `nix fmt` without arguments formats the tree instead of waiting on standard input.
    (check (lib.hasInfix ''"''${@:-.}"'' out.formatter.${x}.text && out.formatter.${x}.meta.mainProgram == "conduit-fmt") "nix fmt wrapper defaults to . and names its main program")
    # The API package and its image.
    (check (lib.hasInfix "--package conduit-api" packages.api.args.cargoExtraArgs && !packages.api.args.doCheck) "api builds conduit-api without running tests")
    (check (lib.hasInfix "--remap-path-prefix" packages.api.args.preBuild && lib.hasInfix "-ffile-prefix-map" packages.api.args.preBuild) "api remaps build paths")
    (check (packages.api.args.cargoArtifacts.kind == "deps") "api reuses the shared dependency build")
    (check (image.config.User == "65532:65532") "image user is 65532")
    (check (image.config.Entrypoint == ["/nix/store/eval-package-conduit-api/bin/conduit-api"] && image.config.Cmd == ["serve"]) "api entrypoint conduit-api serve: ${toString image.config.Entrypoint}")
    (check (sorted (builtins.attrNames image.config.ExposedPorts) == ["8080/tcp" "9464/tcp"]) "api ports")
    (check (env.CONDUIT_LISTEN == "0.0.0.0:8080" && env.CONDUIT_ADMIN_LISTEN == "0.0.0.0:9464" && env ? SSL_CERT_FILE && env ? TZDIR) "api environment")
    (check (image.config.Labels."org.opencontainers.image.revision" == self.rev && image.config.Labels."org.opencontainers.image.licenses" == "MIT" && image.config.Labels ? "org.opencontainers.image.source" && image.config.Labels."org.opencontainers.image.version" == "0.1.0" || image.config.Labels ? "org.opencontainers.image.version") "OCI labels")
    (check (image.created == "1970-01-01T00:00:01Z") "fixed created time")
    (check (map (p: p.name) image.contents == ["cacert" "tzdata"]) "image contents are cacert and tzdata besides the closure")
    (check (lib.hasInfix "65532" image.extraCommands) "passwd entry for 65532")
    # SBOM of the image's closure, with the vendored crate SBOM.
    (check (packages.api-sbom.package ? bombonVendoredSbom && map (p: p.name) packages.api-sbom.options.extraPaths == ["cacert" "tzdata"]) "api-sbom covers the image closure")
    # Checks.
    (check (checks.nextest.args.env.CONDUIT_ALLOW_MISSING_SHARED == "1" && map (p: p.name) checks.nextest.args.nativeBuildInputs == ["postgresql_15" "redis" "python3"]) "nextest with PostgreSQL 15 and Redis")
    (check (lib.hasInfix "-test-services.sh" checks.nextest.args.preCheck && lib.hasInfix "startTestServices" checks.nextest.args.preCheck && lib.hasInfix "stopTestServices" checks.nextest.args.postCheck) "nextest starts one PostgreSQL and one Redis in preCheck and stops them in postCheck")
    (check (lib.hasInfix "--doc" checks.nextest.args.postCheck) "nextest runs the doctests")
    (check (lib.hasInfix "-p conduit-types --target wasm32-unknown-unknown" checks.types-wasm32.args.buildPhaseCargoCommand) "conduit-types is checked for wasm32")
    (check (lib.hasInfix "--deny warnings" checks.clippy.args.cargoClippyExtraArgs) "clippy denies warnings")
    (check (checks.audit.args.advisory-db == inputs.advisory-db) "audit uses the advisory-db input")
    (check (lib.hasInfix "xtask -- test --only nix" checks.nix-lint.args.buildPhaseCargoCommand) "nix-lint runs the xtask suite")
    (check (checks.images-no-shell.env.apiImage == packages.api-image && checks.images-no-shell.env.shellControlImage.name == "stream-shell-control" && lib.hasInfix "-images-no-shell.sh" checks.images-no-shell.script) "images-no-shell scans the api image and a control image")
    (check (!(checks ? terraform) || (let p = builtins.head (builtins.head checks.terraform.env.nativeBuildInputs).plugins; in p.args.rev == "v5.100.0" && p.args.owner == "hashicorp")) "terraform validates with hashicorp/aws 5.100.0 built by mkProvider")
    # Every shell-script check runs its file from nix/checks/ with the filtered source.
    (check (lib.all (c: lib.hasInfix "-${c}.sh" checks.${c}.script) (builtins.filter (c: checks ? ${c}) ["kustomize" "promtool" "terraform" "images-no-shell"])) "script checks run nix/checks/<name>.sh")
    # Source filtering: Rust derivations do not see docs, Terraform or the flake.
    (check (inSrc rustSrc "src/main.rs" && inSrc rustSrc "Cargo.lock" && inSrc rustSrc "rust-toolchain.toml" && inSrc rustSrc ".cargo/audit.toml") "rust source has the Rust files and .cargo/audit.toml")
    (check (!(inSrc rustSrc "docs/build.md") && !(inSrc rustSrc "flake.nix") && !(inSrc rustSrc "nix/checks.nix")) "rust source has no docs or Nix files")
    (check (!(builtins.pathExists (root + "/terraform/envs/staging/versions.tf")) || !(inSrc rustSrc "terraform/envs/staging/versions.tf")) "rust source has no Terraform")
    (check (!(builtins.pathExists (root + "/migrations")) || builtins.readDir (root + "/migrations") == {} || lib.any (f: inSrc rustSrc "migrations/${f}") (builtins.attrNames (builtins.readDir (root + "/migrations")))) "rust source has the migrations")
    (check (inSrc nixSrc "flake.nix" && inSrc nixSrc "nix/checks.nix" && inSrc nixSrc "xtask/src/main.rs") "nix-lint source has the flake and xtask")
    # The dev shell has the tools the issue lists.
    (check (lib.all (t: builtins.elem t shellPackages) ["cargo-nextest" "binaryen" "postgresql_15" "redis" "terraform" "kubectl" "kustomize" "fluxcd" "kubeconform" "awscli2" "checkov" "trivy" "actionlint" "zizmor" "promtool" "skopeo" "cosign" "nodejs" "shellcheck" "semgrep" "detect-secrets" "check-jsonschema" "kubernetes-validate" "wrk" "python3-env"]) "dev shell tools: ${toString shellPackages}")
  ];
  shellPackages = map (p: p.name) out.devShells.${x}.default.args.packages;

  # With web/Cargo.toml present, the web outputs appear and mirror the api ones.
  webAssertions = lib.optionals hasWeb (let
    w = packages.web-image.args;
    webEnv = lib.listToAttrs (map (e: let
      kv = lib.splitString "=" e;
    in
      lib.nameValuePair (builtins.head kv) (lib.concatStringsSep "=" (builtins.tail kv)))
    w.config.Env);
  in [
    (check (w.config.Entrypoint == ["/nix/store/eval-cargo-conduit-web/bin/conduit-web"]) "web entrypoint: ${toString w.config.Entrypoint}")
    (check (sorted (builtins.attrNames w.config.ExposedPorts) == ["8081/tcp" "9464/tcp"]) "web ports")
    (check (w.config.User == "65532:65532") "web user")
    (check (w.config.WorkingDir == "/nix/store/eval-cargo-conduit-web/share/conduit-web") "web working directory")
    (check (webEnv.CONDUIT_WEB_LISTEN == "0.0.0.0:8081" && webEnv.CONDUIT_API_URL == "http://conduit-api.conduit.svc.cluster.local:8080") "web environment")
    (check (lib.hasInfix "xtask -- dist" packages.web.args.buildPhaseCargoCommand) "web runs cargo xtask dist")
    (check (checks.images-no-shell.env.webImage == "${packages.web-image}") "the web image is scanned")
    # crane's reference-stripping hooks, which buildPackage adds and mkCargoDerivation does not.
    (check (lib.all (h: builtins.elem h (map (p: p.name) packages.web.args.nativeBuildInputs)) ["removeReferencesToVendoredSourcesHook" "removeReferencesToRustToolchainHook"]) "web strips references to the vendored sources and the toolchain")
    # The web SBOM's crates: both halves, each with its --cfg.
    (check (let
      crates = packages.web-sbom.package.bombonVendoredSbom;
      cmd = crates.args.buildPhaseCargoCommand;
    in
      lib.hasInfix "--cfg $1" cmd && lib.hasInfix "engine " cmd && lib.hasInfix "client wasm32-unknown-unknown" cmd)
    "web-sbom describes the engine (--cfg engine) and the wasm client (--cfg client)")
    (check (packages.web-sbom.package.outPath == packages.web.outPath) "web-sbom describes the very web package in the image")
    # The stand-in nixpkgs has no wasm-bindgen-cli_<version>: the CLI comes from crates.io at
    # exactly Cargo.lock's version, vendored from the committed lock file (no
    # import-from-derivation: nothing is read from the unpacked crate at evaluation time).
    (check (let
      cli = lib.findFirst (p: p.name == "package-wasm-bindgen-cli") null out.devShells.${x}.default.args.packages;
      locked = (lib.findFirst (p: p.name == "wasm-bindgen") null (builtins.fromTOML (builtins.readFile (root + "/Cargo.lock"))).package).version;
    in
      cli
      != null
      && cli.args.src.args.version == locked
      && cli.args.cargoExtraArgs == "--locked --bin wasm-bindgen"
      && cli.args.cargoArtifacts == null
      && !(cli.args.cargoVendorDir.args ? src)
      && cli.args.cargoVendorDir.args.cargoLock == cli.args.cargoLock)
    "wasm-bindgen-cli is built at Cargo.lock's version without import-from-derivation")
  ]);
in
  builtins.deepSeq (assertions ++ webAssertions) {
    assertions = builtins.length assertions + builtins.length webAssertions;
    packages = builtins.attrNames packages;
    checks = builtins.attrNames checks;
    image = {
      inherit (image.config) User Entrypoint Cmd;
      ports = builtins.attrNames image.config.ExposedPorts;
    };
  }
