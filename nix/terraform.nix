# Terraform for checks.terraform, with the AWS provider release the code pins (5.100.0:
# `~> 5.100` in terraform/envs/*/versions.tf, 5.100.0 in their .terraform.lock.hcl and in the
# offline provider mirror the test command uses). nixpkgs' `terraform.withPlugins` takes
# Nix-built providers only, and nixos-26.05 carries hashicorp/aws 6.x, which `~> 5.100`
# rejects; so 5.100.0 is built here with nixpkgs' own constructor, `terraform-providers.
# mkProvider` (pkgs/applications/networking/cluster/terraform-providers/default.nix: owner,
# repo, rev, hash, vendorHash, spdx, homepage, from which provider-source-address
# `registry.terraform.io/hashicorp/aws` is derived; it installs the plugin under libexec/
# terraform-providers/<address>/<version>/<os>_<arch>, where withPlugins looks).
# Moving the code to `~> 6` instead would leave the test command's offline mirror (5.100.0)
# behind; that is a separate decision.
{
  pkgs,
  lib,
  root,
}: let
  version = "5.100.0";

  # Both pins must follow the code: every environment's lock file names this version, and
  # the providers the code requires are exactly the ones built here.
  envs = builtins.attrNames (lib.filterAttrs (_: t: t == "directory") (builtins.readDir (root + "/terraform/envs")));
  lockedVersion = env: let
    lock = builtins.readFile (root + "/terraform/envs/${env}/.terraform.lock.hcl");
    m = builtins.match ''.*provider "registry.terraform.io/hashicorp/aws" \{[[:space:]]*version[[:space:]]*=[[:space:]]*"([0-9.]+)".*'' lock;
  in
    if m == null
    then throw "terraform/envs/${env}/.terraform.lock.hcl locks no hashicorp/aws"
    else builtins.head m;
  tfFiles = builtins.filter (f: lib.hasSuffix ".tf" (toString f)) (lib.filesystem.listFilesRecursive (root + "/terraform"));
  requiredSources = lib.unique (lib.concatMap (file:
    map builtins.head (builtins.filter builtins.isList
      (builtins.split "source[[:space:]]*=[[:space:]]*\"([a-z0-9_-]+/[a-z0-9_-]+)\"" (builtins.readFile file))))
  tfFiles);
  checked =
    lib.all (env: lockedVersion env == version || throw "terraform/envs/${env} locks hashicorp/aws ${lockedVersion env}, nix/terraform.nix builds ${version}") envs
    && (requiredSources == ["hashicorp/aws"] || throw "terraform/ requires ${toString requiredSources}; nix/terraform.nix builds hashicorp/aws only");

  aws = pkgs.terraform-providers.mkProvider {
    owner = "hashicorp";
    repo = "terraform-provider-aws";
    rev = "v${version}";
    spdx = "MPL-2.0";
    homepage = "https://registry.terraform.io/providers/hashicorp/aws";
    # Not yet known: the source tree's NAR hash (fetchFromGitHub) and the Go modules' vendor
    # hash need GitHub and the Go module proxy, which the development machines cannot reach.
    # The first `nix build .#checks.x86_64-linux.terraform` stops at each with "hash
    # mismatch ... got: sha256-..."; put the printed value here. The nix suite of `cargo
    # xtask test` prints a note while these are placeholders.
    hash = lib.fakeHash;
    vendorHash = lib.fakeHash;
  };
in
  assert checked; pkgs.terraform.withPlugins (_: [aws])
