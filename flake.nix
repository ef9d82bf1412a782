{
  description = "Conduit (RealWorld): Rust API and Perseus web app, built, checked and packaged with Nix";

  # Thin on purpose: inputs and wiring. Each concern lives in one file under nix/.
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
    crane.url = "github:ipetkov/crane";
    rust-overlay = {
      url = "github:oxalica/rust-overlay";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    advisory-db = {
      url = "github:rustsec/advisory-db";
      flake = false;
    };
    bombon = {
      url = "github:nikstur/bombon";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    # The formatter: the commit crates.io's alejandra 3.1.0 was published from, i.e. the
    # same code xtask links as a library (see Cargo.lock), so both format identically.
    alejandra-src = {
      url = "github:kamadorueda/alejandra/ba275e5364df495a55a3384f36704236d5c63013";
      flake = false;
    };
  };

  outputs = inputs @ {
    self,
    nixpkgs,
    ...
  }: let
    systems = ["x86_64-linux" "aarch64-linux"];
    perSystem = f:
      nixpkgs.lib.genAttrs systems (system:
        f (import ./nix {
          inherit inputs self system;
          root = ./.;
        }));
  in {
    packages = perSystem (c: c.packages);
    checks = perSystem (c: c.checks);
    apps = perSystem (c: c.apps);
    devShells = perSystem (c: c.devShells);
    formatter = perSystem (c: c.formatter);
  };
}
