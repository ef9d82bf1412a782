# `nix develop`: the pinned toolchain (rust-toolchain.toml, with the wasm32 target) and
# every tool the tests, the deployment and CI use, at the versions of the pinned nixpkgs.
{
  pkgs,
  craneLib,
  formatter,
  wasmBindgenCli,
}:
craneLib.devShell {
  packages = with pkgs; [
    # Rust and the frontend build
    cargo-nextest
    cargo-audit
    cargo-deny
    (
      if wasmBindgenCli != null
      then wasmBindgenCli
      else lib.warn "no nixpkgs wasm-bindgen-cli matches Cargo.lock; using the default one" wasm-bindgen-cli
    )
    binaryen
    # Local services for the tests and `cargo xtask dev`
    postgresql_15
    redis
    # Infrastructure and deployment
    terraform
    kubectl
    kustomize
    fluxcd
    kubeconform
    awscli2
    prometheus.cli
    skopeo
    cosign
    # Scanners and linters
    checkov
    trivy
    actionlint
    zizmor
    deadnix
    formatter
    python3
  ];
  CONDUIT_DEV_SHELL = "1";
}
