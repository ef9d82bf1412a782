# Per-system wiring: one nixpkgs, one toolchain, one crane library, then every output.
{
  inputs,
  self,
  system,
  root,
}: let
  pkgs = import inputs.nixpkgs {
    inherit system;
    # Terraform is BUSL-licensed, hence unfree in nixpkgs; allow exactly that package.
    config.allowUnfreePredicate = pkg: builtins.elem (pkgs.lib.getName pkg) ["terraform"];
  };
  inherit (pkgs) lib;

  toolchain = import ./toolchain.nix {inherit inputs root;};
  craneLib = (inputs.crane.mkLib pkgs).overrideToolchain toolchain;
  bombon = inputs.bombon.lib.${system};

  source = import ./source.nix {inherit lib craneLib root;};
  rust = import ./packages.nix {inherit pkgs lib craneLib source root;};
  formatter = import ./formatter.nix {inherit pkgs craneLib inputs;};
  images = import ./images.nix {
    inherit pkgs lib self;
    inherit (rust) api web version;
  };
  sboms = import ./sbom.nix {
    inherit pkgs lib bombon craneLib;
    inherit (rust) api web commonArgs;
    inherit (images) runtimeExtras;
  };
  terraform = import ./terraform.nix {inherit pkgs lib root;};
  checks = import ./checks.nix {
    inherit pkgs lib craneLib source rust images terraform root;
    inherit (formatter) alejandra;
    inherit (inputs) advisory-db;
  };
  dev = import ./dev.nix {
    inherit pkgs lib;
    inherit (rust) api web;
  };
  devShell = import ./devshell.nix {
    inherit pkgs craneLib;
    inherit (formatter) alejandra;
    inherit (rust) wasmBindgenCli;
  };
in {
  packages =
    {
      inherit (rust) api;
      default = rust.api;
      api-image = images.api;
      api-sbom = sboms.api;
    }
    // lib.optionalAttrs (rust.web != null) {
      inherit (rust) web;
      web-image = images.web;
      web-sbom = sboms.web;
    };

  inherit checks;
  formatter = formatter.wrapper;

  apps = {
    dev = dev.app;
    default = dev.app;
  };

  devShells.default = devShell;
}
