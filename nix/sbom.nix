# CycloneDX SBOMs (bombon) of each image's runtime closure: every Nix store path the image
# holds is a component, and the Rust crates compiled into the binary come in through the
# vendored SBOM (cargo-cyclonedx over the same Cargo.lock) that passthruVendoredSbom adds.
{
  pkgs,
  lib,
  bombon,
  api,
  web,
  runtimeExtras,
}: let
  sbomFor = package:
    bombon.buildBom (bombon.passthruVendoredSbom.rust package {inherit pkgs;}) {
      extraPaths = runtimeExtras;
    };
in {
  api = sbomFor api;
  web = lib.mapNullable sbomFor web;
}
