# `nix develop`: the pinned toolchain (rust-toolchain.toml, with the wasm32 target) and
# every tool the tests, the deployment and CI use, at the versions of the pinned nixpkgs.
{
  pkgs,
  craneLib,
  alejandra,
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
    semgrep
    detect-secrets
    shellcheck
    check-jsonschema
    kubernetes-validate
    deadnix
    alejandra
    # The web suite's Playwright driver and the npm tools (package.json)
    nodejs
    # The load test of `cargo xtask bench`
    wrk
    # Python for the scripts and tests, with moto's server (the AWS emulator of the
    # terraform suite; `moto_server` needs the `server` extra)
    (python3.withPackages (p: [p.pyyaml p.moto] ++ (p.moto.optional-dependencies.server or [])))
  ];
  CONDUIT_DEV_SHELL = "1";
}
