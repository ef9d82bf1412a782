# The Rust toolchain comes from rust-toolchain.toml (the file rustup reads too), through
# rust-overlay, so `nix build` and `cargo` outside Nix compile with the same rustc.
# A function of `pkgs` so crane can splice it when cross-compiling.
{
  inputs,
  root,
}: p: (inputs.rust-overlay.lib.mkRustBin {} p).fromRustupToolchainFile (root + "/rust-toolchain.toml")
