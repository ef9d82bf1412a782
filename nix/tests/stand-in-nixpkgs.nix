# A stand-in for `import nixpkgs { system; config; }` in nix/tests/eval.nix: the real `lib`
# (from $CONDUIT_NIXPKGS_LIB) and, instead of packages, inert derivation-shaped values that
# remember how they were called. Only the packages listed in nix/pinned-api.toml exist, so
# using an unlisted one fails the evaluation, like the pinned-API check does.
{
  system,
  config ? {},
}: let
  lib = import ./lib.nix;
  drv = name: attrs:
    {
      type = "derivation";
      inherit name;
      outPath = "/nix/store/eval-${name}";
    }
    // attrs;
  listed = (builtins.fromTOML (builtins.readFile ../pinned-api.toml)).nixpkgs.packages.names;
in
  lib.genAttrs listed (name: drv name {})
  // {
    inherit lib system config;
    stdenv.hostPlatform.rust.rustcTarget = "x86_64-unknown-linux-gnu";
    dockerTools.streamLayeredImage = args: drv "stream-${args.name}" {inherit args;};
    python3 = drv "python3" {
      withPackages = f:
        drv "python3-env" {
          packages = f {
            pyyaml = drv "pyyaml" {};
            moto = drv "moto" {optional-dependencies.server = [(drv "flask" {})];};
          };
        };
    };
    terraform = drv "terraform" {
      withPlugins = f: drv "terraform-with-plugins" {plugins = f {hashicorp_aws = drv "terraform-provider-aws-6" {};};};
    };
    terraform-providers.mkProvider = args: drv "terraform-provider-${args.repo}" {inherit args;};
    prometheus = drv "prometheus" {cli = drv "promtool" {};};
    runCommand = name: env: script: drv name {inherit env script;};
    writeShellApplication = args:
      drv args.name {
        inherit (args) text runtimeInputs;
        meta.mainProgram = args.name;
      };
  }
