# Source sets, filtered with lib.fileset so that editing docs, Terraform or manifests does
# not rebuild any Rust: only what cargo reads (and what the crates embed) is in `rust`.
{
  lib,
  craneLib,
  root,
}: let
  fs = lib.fileset;
  # Files that crates embed or read at test time, next to the Rust code that uses them.
  crateData = dir:
    lib.optional (builtins.pathExists (root + "/${dir}"))
    (fs.fileFilter (file: lib.any file.hasExt ["sql" "json" "yml" "yaml" "html" "css" "js" "txt" "md"])
      (root + "/${dir}"));
  rustFiles = fs.unions ([
      (craneLib.fileset.commonCargoSources root)
      (fs.maybeMissing (root + "/migrations"))
    ]
    ++ lib.concatMap crateData ["src" "tests" "types" "testkit" "web"]
    # Perseus serves static assets from the web crate (images, fonts, ...); the empty files
    # that keep Swagger UI's unused bundles out of the API binary (.cargo/config.toml).
    ++ [
      (fs.maybeMissing (root + "/web/static"))
      (fs.maybeMissing (root + "/.cargo/swagger-ui-overwrite"))
    ]);
in {
  # Everything cargo needs to build, test and lint the workspace.
  rust = fs.toSource {
    inherit root;
    fileset = rustFiles;
  };

  # The Nix lint runs xtask, which reads the flake files as well.
  nix = fs.toSource {
    inherit root;
    fileset = fs.unions [
      rustFiles
      (root + "/flake.nix")
      (root + "/flake.lock")
      (root + "/nix")
    ];
  };
}
