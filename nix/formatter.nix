# `nix fmt`: alejandra built from the release tag whose library xtask links (see
# Cargo.lock), so `nix fmt`, `nix flake check` and `cargo xtask test` format Nix identically.
# Nix no longer passes `.` to the formatter, and alejandra without a path formats standard
# input, so a bare `nix fmt` waited for input that never came: the wrapper formats the tree
# when it is given no arguments (`"''${@:-.}"`) and passes arguments on otherwise.
{
  pkgs,
  craneLib,
  inputs,
}: let
  alejandra = craneLib.buildPackage {
    src = inputs.alejandra-src;
    pname = "alejandra";
    version = "3.1.0";
    strictDeps = true;
    cargoExtraArgs = "--locked --package alejandra_cli";
    doCheck = false;
    meta.mainProgram = "alejandra";
  };
in {
  inherit alejandra;
  wrapper = pkgs.writeShellApplication {
    name = "conduit-fmt";
    runtimeInputs = [alejandra];
    text = ''
      exec alejandra "''${@:-.}"
    '';
    meta.mainProgram = "conduit-fmt";
  };
}
