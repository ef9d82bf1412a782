# `nix fmt`: alejandra built from the release tag whose library xtask links (see
# Cargo.lock), so `nix fmt`, `nix flake check` and `cargo xtask test` format Nix identically.
{
  craneLib,
  inputs,
}:
craneLib.buildPackage {
  src = inputs.alejandra-src;
  pname = "alejandra";
  version = "3.1.0";
  strictDeps = true;
  cargoExtraArgs = "--locked --package alejandra_cli";
  doCheck = false;
  meta.mainProgram = "alejandra";
}
