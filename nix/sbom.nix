# CycloneDX SBOMs (bombon) of each image's runtime closure: every Nix store path the image
# holds is a component, and the Rust crates compiled into the binary come in through a
# vendored SBOM (cargo-cyclonedx over the same Cargo.lock) in the package's
# `bombonVendoredSbom` passthru, whose every file bombon merges
# (rust/transformer/src/cyclonedx.rs:133 and nix/buildtime-dependencies.nix:104-105@a138474).
{
  pkgs,
  lib,
  bombon,
  craneLib,
  commonArgs,
  api,
  web,
  runtimeExtras,
}: let
  sbomFor = package:
    bombon.buildBom package {
      extraPaths = runtimeExtras;
    };

  # The API: bombon's own Rust pass (nix/passthru-vendored.nix@a138474) fits, one native
  # binary built without extra flags.
  apiWithCrates = bombon.passthruVendoredSbom.rust api {inherit pkgs;};

  # The web package does not fit it: that pass replaces buildPhase with one `cargo cyclonedx
  # --target <host>` (nix/passthru-vendored.nix:27-42@a138474), so the `--cfg engine`
  # RUSTFLAGS of the real build are lost, and with them every dependency under
  # [target.'cfg(engine)'] in web/Cargo.toml (actix-web, tokio, reqwest, ...); and the wasm
  # client (`--cfg client`, wasm32-unknown-unknown), which the image serves, is in no SBOM at
  # all. So its vendored SBOM describes both halves, each with the flags `cargo xtask dist`
  # builds it with (cargo resolves `cfg(...)` target dependencies with RUSTFLAGS).
  webCrates = craneLib.mkCargoDerivation (commonArgs
    // {
      pname = "conduit-web-vendored-sbom";
      cargoArtifacts = null;
      doInstallCargoArtifacts = false;
      nativeBuildInputs = [pkgs.cargo-cyclonedx];
      buildPhaseCargoCommand = ''
        mkdir -p sboms
        for half in "engine ${pkgs.stdenv.hostPlatform.rust.rustcTarget}" "client wasm32-unknown-unknown"; do
          set -- $half
          RUSTFLAGS="--cfg $1" cargo cyclonedx --manifest-path web/Cargo.toml \
            --spec-version 1.5 --format json --describe binaries --no-build-deps --target "$2"
          found=$(find . -path ./sboms -prune -o -name conduit-web_bin.cdx.json -print)
          test -n "$found" || { echo "cargo cyclonedx wrote no SBOM for the $1" >&2; exit 1; }
          mv $found "sboms/conduit-web-$1.cdx.json"
        done
      '';
      installPhaseCommand = ''
        mkdir -p $out
        install -m444 sboms/*.cdx.json $out/
      '';
    });
  webWithCrates = web.overrideAttrs (prev: {
    passthru = (prev.passthru or {}) // {bombonVendoredSbom = webCrates;};
  });
in {
  api = sbomFor apiWithCrates;
  web = lib.mapNullable (_: sbomFor webWithCrates) web;
}
