# `nix flake check`: the same gates as `cargo xtask test` and CI, each in the sandbox.
{
  pkgs,
  lib,
  craneLib,
  source,
  rust,
  images,
  formatter,
  root,
  advisory-db,
}: let
  inherit (rust) commonArgs cargoArtifacts;
  fs = lib.fileset;
  has = dir: builtins.pathExists (root + "/${dir}");
  subtree = dir:
    fs.toSource {
      inherit root;
      fileset = root + "/${dir}";
    };

  # Terraform providers named in `required_providers` (`source = "owner/name"`), looked up
  # in nixpkgs under their owner_name attribute (or the older bare name).
  terraformProviders = let
    tfFiles = builtins.filter (f: lib.hasSuffix ".tf" (toString f)) (lib.filesystem.listFilesRecursive (root + "/terraform"));
    sources = file:
      builtins.filter builtins.isList
      (builtins.split "source[[:space:]]*=[[:space:]]*\"([a-z0-9_-]+)/([a-z0-9_-]+)\"" (builtins.readFile file));
    pairs = lib.unique (lib.concatMap sources tfFiles);
  in
    p: map (pair: p."${builtins.elemAt pair 0}_${builtins.elemAt pair 1}" or p.${builtins.elemAt pair 1}) pairs;

  scan = image: args: "python3 ${./image-scan.py} ${image.name}.tar ${args}";
in
  {
    clippy = craneLib.cargoClippy (commonArgs
      // {
        inherit cargoArtifacts;
        cargoExtraArgs = "--locked";
        # conduit-web is linted per half (engine, client) by `cargo xtask test --only web`.
        cargoClippyExtraArgs = "--workspace --exclude conduit-web --all-targets -- --deny warnings";
      });

    fmt = craneLib.cargoFmt {
      src = source.rust;
      pname = "conduit";
      inherit (rust) version;
      cargoExtraArgs = "--all";
    };

    # PostgreSQL 15 and Redis from nixpkgs on PATH: the testkit starts throwaway servers
    # inside the sandbox exactly as it does on a laptop. ../shared is not in the sandbox, so
    # the one test that compares against the reference OpenAPI document skips loudly.
    nextest = craneLib.cargoNextest (commonArgs
      // {
        inherit cargoArtifacts;
        doCheck = true;
        cargoExtraArgs = "--locked";
        cargoNextestExtraArgs = "--workspace --exclude conduit-web --no-fail-fast";
        nativeBuildInputs = [pkgs.postgresql_15 pkgs.redis];
        env.CONDUIT_ALLOW_MISSING_SHARED = "1";
      });

    audit = craneLib.cargoAudit {
      src = source.rust;
      pname = "conduit";
      inherit (rust) version;
      inherit advisory-db;
    };

    deny = craneLib.cargoDeny (commonArgs
      // {
        cargoDenyChecks = "bans licenses sources";
      });

    # The Nix lint is the xtask suite itself (rnix parse, deadnix, alejandra, lock and
    # attribute checks), plus the flake's own formatter over the same files.
    nix-lint = craneLib.mkCargoDerivation (commonArgs
      // {
        inherit cargoArtifacts;
        src = source.nix;
        pname = "conduit-nix-lint";
        nativeBuildInputs = [pkgs.python3 formatter];
        env.CONDUIT_ALLOW_MISSING_SHARED = "1";
        buildPhaseCargoCommand = ''
          cargo run --release --locked --offline --package xtask -- test --only nix
          alejandra --check flake.nix nix
        '';
        doInstallCargoArtifacts = false;
      });

    images-no-shell =
      pkgs.runCommand "conduit-images-no-shell" {
        nativeBuildInputs = [pkgs.python3];
      } ''
        ${images.api} > ${images.api.name}.tar
        ${scan images.api "--user 65532:65532 --entrypoint conduit-api --port 8080 --port 9464"}
        ${lib.optionalString (images.web != null) ''
          ${images.web} > ${images.web.name}.tar
          ${scan images.web "--user 65532:65532 --entrypoint conduit-web --port 8081 --port 9464"}
        ''}
        ${images.shellControl} > ${images.shellControl.name}.tar
        if ${scan images.shellControl ""}; then
          echo "the scanner did not notice the shell in the control image" >&2
          exit 1
        fi
        touch $out
      '';
  }
  // lib.optionalAttrs (has "terraform") {
    terraform =
      pkgs.runCommand "conduit-terraform-check" {
        nativeBuildInputs = [(pkgs.terraform.withPlugins terraformProviders)];
        env = {
          CHECKPOINT_DISABLE = "1";
          TF_IN_AUTOMATION = "1";
        };
      } ''
        export HOME=$TMPDIR
        cp -r ${subtree "terraform"}/terraform tf
        chmod -R u+w tf
        cd tf
        terraform fmt -check -recursive -diff
        for env in envs/*/; do
          echo "== terraform validate $env"
          # The providers come from nixpkgs (built from source), so the registry hashes in
          # the lock file cannot match: validate against the Nix-provided plugins instead.
          rm -f "$env/.terraform.lock.hcl"
          terraform -chdir="$env" init -backend=false -input=false
          terraform -chdir="$env" validate
        done
        touch $out
      '';
  }
  // lib.optionalAttrs (has "kustomize") {
    # Every kustomization renders, and every rendered object is a well-formed Kubernetes
    # object. Schema validation against the CRD schemas needs ../shared and runs in
    # `cargo xtask test --only kustomize`.
    kustomize =
      pkgs.runCommand "conduit-kustomize-check" {
        nativeBuildInputs = [pkgs.kustomize (pkgs.python3.withPackages (p: [p.pyyaml]))];
      } ''
        cd ${subtree "kustomize"}
        count=0
        for k in $(find kustomize -name kustomization.yaml -o -name kustomization.yml | sort); do
          dir=$(dirname "$k")
          if grep -q '^kind: *Component' "$k"; then continue; fi
          echo "== kustomize build $dir"
          kustomize build "$dir" > "$TMPDIR/rendered.yaml"
          python3 - "$TMPDIR/rendered.yaml" <<'PY'
        import sys, yaml
        docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]
        assert docs, "rendered nothing"
        for d in docs:
            assert d.get("apiVersion") and d.get("kind"), f"object without apiVersion/kind: {d!r:.200}"
            assert (d.get("metadata") or {}).get("name"), f"{d['kind']} without metadata.name"
        print(f"  {len(docs)} objects")
        PY
          count=$((count + 1))
        done
        test "$count" -gt 0 || { echo "no kustomization rendered" >&2; exit 1; }
        touch $out
      '';

    # Every PrometheusRule under kustomize/ is extracted to a plain rule file and checked by
    # `promtool check rules` (syntax, PromQL, labels); every rule unit test (a YAML file
    # with a `rule_files:` key) runs with `promtool test rules`.
    promtool =
      pkgs.runCommand "conduit-promtool-check" {
        nativeBuildInputs = [pkgs.prometheus.cli (pkgs.python3.withPackages (p: [p.pyyaml]))];
      } ''
        mkdir rules
        python3 - ${subtree "kustomize"}/kustomize rules <<'PY'
        import pathlib, sys, yaml
        src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
        n = 0
        for f in sorted(list(src.rglob("*.yaml")) + list(src.rglob("*.yml"))):
            for doc in yaml.safe_load_all(f.read_text()):
                if isinstance(doc, dict) and doc.get("kind") == "PrometheusRule":
                    n += 1
                    name = f"{n:03d}-{doc['metadata']['name']}.yaml"
                    (out / name).write_text(yaml.safe_dump({"groups": doc["spec"]["groups"]}))
        print(f"{n} PrometheusRule objects")
        PY
        rules=$(find rules -name '*.yaml' | sort)
        tests=$(grep -rlE --include='*.yaml' --include='*.yml' '^rule_files:' ${subtree "kustomize"}/kustomize | sort || true)
        test -n "$rules$tests" || { echo "no Prometheus rules or rule tests under kustomize/" >&2; exit 1; }
        if [ -n "$rules" ]; then promtool check rules $rules; fi
        for t in $tests; do
          (cd "$(dirname "$t")" && promtool test rules "$(basename "$t")")
        done
        touch $out
      '';
  }
