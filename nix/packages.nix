# The Rust packages, built with crane. One `buildDepsOnly` derivation holds the compiled
# dependencies of the whole workspace (release profile, all targets); the packages and the
# clippy and nextest checks start from it, so dependencies compile once per Cargo.lock.
{
  pkgs,
  lib,
  craneLib,
  source,
  root,
}: let
  cargoToml = builtins.fromTOML (builtins.readFile (root + "/Cargo.toml"));
  inherit (cargoToml.package) version;

  lockPackages = (builtins.fromTOML (builtins.readFile (root + "/Cargo.lock"))).package;
  lockVersion = name: let
    found = builtins.filter (p: p.name == name) lockPackages;
  in
    if found == []
    then null
    else (builtins.head found).version;

  # wasm-bindgen's CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
  wasmBindgenVersion = lockVersion "wasm-bindgen";
  wasmBindgenAttr = "wasm-bindgen-cli_" + lib.replaceStrings ["."] ["_"] (toString wasmBindgenVersion);
  # When nixpkgs has no package for that version, build the CLI from its crates.io release
  # (the published crate ships its Cargo.lock). The checksum is the .crate's sha256, the
  # value a Cargo.lock records; add a line when Cargo.lock moves to another wasm-bindgen.
  wasmBindgenCliChecksums = {
    "0.2.130" = "c37f6904387d19a319525c74af274c73912f3871c35555aa49f3ea64ebb2fc7a";
  };
  wasmBindgenCliFromCrate = version:
    craneLib.buildPackage {
      src = craneLib.downloadCargoPackage {
        name = "wasm-bindgen-cli";
        inherit version;
        checksum = wasmBindgenCliChecksums.${version};
        source = "registry+https://github.com/rust-lang/crates.io-index";
      };
      pname = "wasm-bindgen-cli";
      inherit version;
      strictDeps = true;
      doCheck = false;
      cargoExtraArgs = "--locked --bin wasm-bindgen";
      nativeBuildInputs = [pkgs.pkg-config];
      buildInputs = [pkgs.openssl];
      meta.mainProgram = "wasm-bindgen";
    };
  wasmBindgenCli =
    if wasmBindgenVersion == null
    then null
    else if pkgs ? ${wasmBindgenAttr}
    then pkgs.${wasmBindgenAttr}
    else if wasmBindgenCliChecksums ? ${wasmBindgenVersion}
    then wasmBindgenCliFromCrate wasmBindgenVersion
    else null;

  # Release builds must not depend on where they were built: map the build directory and
  # the cargo home to fixed names in Rust (panic locations, debug info) and in C objects.
  # Set for the dependency build too, so the fingerprints match and nothing rebuilds.
  reproducibleFlags = ''
    export CARGO_BUILD_RUSTFLAGS="''${CARGO_BUILD_RUSTFLAGS:-} --remap-path-prefix=$NIX_BUILD_TOP=/build --remap-path-prefix=$CARGO_HOME=/cargo"
    export RUSTFLAGS="$CARGO_BUILD_RUSTFLAGS"
    export CFLAGS="''${CFLAGS:-} -ffile-prefix-map=$NIX_BUILD_TOP=/build"
  '';

  commonArgs = {
    src = source.rust;
    pname = "conduit";
    inherit version;
    strictDeps = true;
    # Tests need PostgreSQL and Redis: they run in checks.nextest, not in every build.
    doCheck = false;
    preBuild = reproducibleFlags;
    meta.license = lib.licenses.mit;
  };

  cargoArtifacts = craneLib.buildDepsOnly (commonArgs
    // {
      # conduit-web compiles only as a Perseus engine or client (`--cfg`), in the web package.
      cargoExtraArgs = "--locked --workspace --exclude conduit-web";
      # Compile the test and bench targets' dependencies too, for clippy and nextest.
      cargoCheckExtraArgs = "--all-targets";
      doCheck = true;
      cargoTestExtraArgs = "--no-run";
    });

  api = craneLib.buildPackage (commonArgs
    // {
      inherit cargoArtifacts;
      pname = "conduit-api";
      cargoExtraArgs = "--locked --package conduit-api --bin conduit-api";
      meta = {
        description = "Conduit (RealWorld) API server";
        license = lib.licenses.mit;
        mainProgram = "conduit-api";
      };
    });

  hasWeb = builtins.pathExists (root + "/web/Cargo.toml");

  # The web package runs the same code as `cargo xtask dist`, so there is one frontend build:
  # the Perseus engine natively with `--cfg engine`, the client for wasm32-unknown-unknown
  # with `--cfg client`, wasm-bindgen (Cargo.lock's version), wasm-opt (binaryen), then the
  # engine's build operation. Its output, target/dist/web/, holds the `conduit-web` server
  # binary and the files it serves; they land in bin/ and share/conduit-web/.
  web = craneLib.mkCargoDerivation (commonArgs
    // {
      inherit cargoArtifacts;
      pname = "conduit-web";
      # wasm-bindgen is linked into xtask (pinned to Cargo.lock's version); wasm-opt comes
      # from binaryen.
      nativeBuildInputs = [pkgs.binaryen];
      buildPhaseCargoCommand = ''
        cargo run --release --locked --offline --package xtask -- dist web
      '';
      installPhaseCommand = ''
        test -x target/dist/web/conduit-web || {
          echo "cargo xtask dist did not produce target/dist/web/conduit-web" >&2
          exit 1
        }
        mkdir -p $out/bin $out/share/conduit-web
        cp -r target/dist/web/. $out/share/conduit-web/
        mv $out/share/conduit-web/conduit-web $out/bin/conduit-web
      '';
      doInstallCargoArtifacts = false;
      meta = {
        description = "Conduit (RealWorld) web frontend (Perseus)";
        license = lib.licenses.mit;
        mainProgram = "conduit-web";
      };
    });
in {
  inherit version cargoArtifacts commonArgs api wasmBindgenCli;
  web =
    if hasWeb
    then web
    else null;
}
