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
  # When nixpkgs has no package for that version, crane builds the CLI from its crates.io
  # release with fixed-output fetches only: the .crate by its checksum (the sha256 a
  # Cargo.lock records; downloadCargoPackage is a fetchurl) and every dependency by the
  # checksums of the crate's own Cargo.lock, committed beside this file as
  # wasm-bindgen-cli/<version>.Cargo.lock (copied unchanged from the .crate; its sha256 is
  # in `wasmBindgenCliReleases`). Reading that lock from the unpacked crate instead would be
  # import-from-derivation: crane's vendorCargoDeps reads `src + "/Cargo.lock"` and
  # findCargoFiles walks `src` at evaluation time (lib/vendorCargoDeps.nix:17-30@b8d87f7),
  # and buildDepsOnly's dummy source walks it too, hence an explicit cargoVendorDir and
  # cargoArtifacts = null. A new version needs its line here and its lock file.
  wasmBindgenCliReleases = {
    "0.2.130" = {
      crate = "c37f6904387d19a319525c74af274c73912f3871c35555aa49f3ea64ebb2fc7a";
      lock = "653f29ed961fa8ea7264a9e28bc096e4badf258e86d1764e35c1ddf3cdd63f8a";
    };
  };
  wasmBindgenCliFromCrate = version: let
    release = wasmBindgenCliReleases.${version};
    cargoLock = ./wasm-bindgen-cli + "/${version}.Cargo.lock";
  in
    assert builtins.hashFile "sha256" cargoLock
    == release.lock
    || throw "nix/wasm-bindgen-cli/${version}.Cargo.lock is not the crate's lock file";
      craneLib.buildPackage {
        src = craneLib.downloadCargoPackage {
          name = "wasm-bindgen-cli";
          inherit version;
          checksum = release.crate;
          source = "registry+https://github.com/rust-lang/crates.io-index";
        };
        inherit cargoLock;
        cargoVendorDir = craneLib.vendorCargoDeps {inherit cargoLock;};
        cargoArtifacts = null;
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
    else if wasmBindgenCliReleases ? ${wasmBindgenVersion}
    then wasmBindgenCliFromCrate wasmBindgenVersion
    else null;

  # Release builds must not depend on where they were built. In crane's sandbox the crate
  # sources are not under $CARGO_HOME (crane points CARGO_HOME at `.cargo-home` in the build
  # directory, holding only the source-replacement config, and cargo reads every crate from
  # the vendor directory in the Nix store: lib/setupHooks/configureCargoCommonVarsHook.sh:6,
  # configureCargoVendoredDepsHook.sh:17-24@b8d87f7), so a --remap-path-prefix for it does
  # nothing here; references to those store paths and to the toolchain are overwritten after
  # installation by crane's removeReferencesToVendoredSources / removeReferencesToRustToolchain
  # hooks instead (buildPackage adds both; the web package below adds them itself). What
  # remains is the build directory: `/build` under the Linux sandbox, where this mapping is
  # the identity, but other Nix installations build elsewhere (crane's docs/API.md on
  # remapPathPrefixHook@b8d87f7), so it is mapped to `/build` for them. Set for the
  # dependency build too, so the fingerprints match and nothing rebuilds.
  reproducibleFlags = ''
    export CARGO_BUILD_RUSTFLAGS="''${CARGO_BUILD_RUSTFLAGS:-} --remap-path-prefix=$NIX_BUILD_TOP=/build"
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
      # from binaryen. crane's buildPackage adds the two reference-stripping hooks
      # (lib/buildPackage.nix:101-107@b8d87f7), mkCargoDerivation does not
      # (lib/mkCargoDerivation.nix:104-118): without them the panic locations in the engine and
      # the wasm keep store paths of the vendored crate sources and of the toolchain, which
      # then land in the image's closure and its SBOM. Both run in postInstall over $out.
      nativeBuildInputs = [
        pkgs.binaryen
        craneLib.removeReferencesToVendoredSourcesHook
        craneLib.removeReferencesToRustToolchainHook
      ];
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
