# The nixpkgs `lib` for the evaluation test, from $CONDUIT_NIXPKGS_LIB (a directory holding
# nixpkgs' lib/). Nix releases before 2.14 lack builtins.readFileType, which lib.fileset
# needs; on those, answer it from the parent directory's listing.
let
  lib = import (builtins.getEnv "CONDUIT_NIXPKGS_LIB" + "/lib");
  pathType = path:
    if dirOf path == path
    then "directory"
    else (builtins.readDir (dirOf path)).${baseNameOf path};
in
  if builtins ? readFileType
  then lib
  else lib.extend (_: prev: {filesystem = prev.filesystem // {inherit pathType;};})
