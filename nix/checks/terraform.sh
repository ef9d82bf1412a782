# checks.terraform: `terraform fmt -check -recursive`, then `init -backend=false` and
# `validate` in every terraform/envs/*. In Nix the providers are Nix-built plugins
# (`terraform.withPlugins`, see nix/terraform.nix); elsewhere the CLI configuration
# (TF_CLI_CONFIG_FILE) says where they come from. Never the network.
# Contract: see nix/checks/promtool.sh.
# tools: terraform
# source: terraform
# $src, $out and the other inputs come from the derivation's environment.
# shellcheck disable=SC2154
set -euo pipefail

export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export HOME="$PWD/home"
mkdir -p "$HOME"
# terraform writes .terraform/ next to the code: work on a writable copy.
cp -r "$src/terraform" tf
chmod -R u+w tf
cd tf
terraform fmt -check -recursive -diff
count=0
for env in envs/*/; do
  echo "== terraform validate $env"
  # Nix-built providers are not the registry's zips, so the registry hashes in the lock file
  # cannot match them: validate against the providers at hand instead.
  rm -f "$env/.terraform.lock.hcl"
  terraform -chdir="$env" init -backend=false -input=false
  terraform -chdir="$env" validate
  count=$((count + 1))
done
test "$count" -gt 0 || { echo "no terraform/envs/* to validate" >&2; exit 1; }
touch "$out"
