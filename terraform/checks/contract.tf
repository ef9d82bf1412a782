# --- The outputs other layers read from every environment (shared contract) exist after a real
# apply, and those the emulator models are not empty.
locals {
  contract_outputs = [
    "region", "cluster_name", "cluster_endpoint", "vpc_id", "vpc_cidr", "cluster_vars", "ecr_registry",
    "ecr_repository_urls", "api_irsa_role_arn", "lb_controller_role_arn", "external_secrets_role_arn",
    "fluent_bit_role_arn", "ebs_csi_role_arn", "grafana_cloudwatch_role_arn", "flux_image_reflector_role_arn",
    "github_actions_release_role_arn", "github_actions_plan_role_arn", "github_actions_apply_role_arn",
    "acm_certificate_arn", "waf_acl_arn", "alb_security_group_id", "db_endpoint", "db_master_secret_arn",
    "redis_endpoint", "jwt_secret_arn", "redis_auth_secret_arn", "log_group_names",
  ]
  outputs = jsondecode(coalesce(var.outputs, jsonencode({ for k, v in jsondecode(file(var.outputs_json)) : k => v.value })))
  # moto cannot read back the Redis replication group, so its endpoint may be empty there.
  empty_outputs    = [for o in local.contract_outputs : o if o != "redis_endpoint" && try(length(local.outputs[o]) == 0, local.outputs[o] == null, true)]
  log_groups_wrong = [for k in ["application", "host", "dataplane", "cluster"] : k if try(local.outputs.log_group_names[k], "") != "/aws/eks/conduit-staging/${k}"]
}

output "contract_outputs" {
  description = "The contract outputs the applied environment provides."
  value       = length(local.contract_outputs)
  precondition {
    condition     = length(local.empty_outputs) == 0 && length(setintersection(keys(try(local.outputs.ecr_repository_urls, {})), ["api", "web"])) == 2 && length(local.log_groups_wrong) == 0
    error_message = "Contract outputs missing or empty: ${jsonencode(local.empty_outputs)}; ecr_repository_urls needs api and web; log groups wrong: ${jsonencode(local.log_groups_wrong)}"
  }
}

# --- Every environment's Kubernetes version is in EKS standard support: after its end date
# `upgrade_policy { support_type = "STANDARD" }` has EKS upgrade the cluster on its own schedule.
# End of standard support by minor version (14 months after the EKS release; Amazon EKS User
# Guide, "Understand the Kubernetes version lifecycle on EKS", release calendar). Add a row when
# a new version is adopted.
locals {
  eks_standard_support_end = {
    "1.32" = "2026-03-23"
    "1.33" = "2026-07-29"
    "1.34" = "2026-12-02"
    "1.35" = "2027-03-27"
  }
  eks_versions = { for f in fileset("${path.module}/../envs", "*/settings.tf") : dirname(f) => one(
    regex("kubernetes_version\\s*=\\s*\"([^\"]+)\"", file("${path.module}/../envs/${f}"))
  ) }
  eks_out_of_support = [for env, v in local.eks_versions : "${env}: Kubernetes ${v}" if try(
    timecmp(coalesce(var.today, plantimestamp()), "${local.eks_standard_support_end[v]}T00:00:00Z") >= 0, true
  )]
}

output "eks_support" {
  description = "Kubernetes version of every environment (each in EKS standard support)."
  value       = local.eks_versions
  precondition {
    condition     = length(local.eks_versions) > 0 && length(local.eks_out_of_support) == 0
    error_message = "Out of EKS standard support (or not in the calendar of terraform/checks/contract.tf): ${join(", ", local.eks_out_of_support)}"
  }
}

output "outputs_read" {
  description = "The environment's outputs as read (the fixtures derive from them)."
  value       = local.outputs
}

# --- Every environment root passes through every platform output (the contract outputs among
# them) and names itself in its settings.
variable "env_files" {
  description = "Replacements for the text of envs/<env>/outputs.tf and settings.tf, by \"<env>/<file>\"."
  type        = map(string)
  default     = {}
}

locals {
  env_files        = merge({ for f in fileset("${path.module}/../envs", "*/{outputs,settings}.tf") : f => file("${path.module}/../envs/${f}") }, var.env_files)
  platform_outputs = flatten(regexall("(?m)^output \"([^\"]+)\"", file("${path.module}/../modules/platform/outputs.tf")))
  env_problems = flatten([for f, text in local.env_files : endswith(f, "outputs.tf")
    ? [for o in distinct(concat(local.contract_outputs, local.platform_outputs)) : "${dirname(f)} lacks output ${o}" if !contains(flatten(regexall("(?m)^output \"([^\"]+)\"", text)), o)]
    : can(regex("environment\\s*=\\s*\"${dirname(f)}\"", text)) ? [] : ["${f} must set environment = \"${dirname(f)}\""]
  ])
}

output "environment_roots" {
  description = "Environment roots checked for the platform's outputs and their own name."
  value       = distinct([for f, _ in local.env_files : dirname(f)])
  precondition {
    condition     = length(local.env_files) >= 4 && length(local.env_problems) == 0
    error_message = "Environment roots: ${join("; ", local.env_problems)}"
  }
}
