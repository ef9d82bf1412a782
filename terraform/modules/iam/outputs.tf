output "irsa_role_arns" {
  description = "IRSA role ARNs by key (api, lb_controller, external_secrets, fluent_bit, ebs_csi, grafana_cloudwatch, flux_image_reflector)."
  value       = { for k, v in aws_iam_role.irsa : k => v.arn }
}

output "service_accounts" {
  description = "namespace/name of the service account each IRSA role trusts, by key."
  value       = { for k, v in local.service_accounts : k => "${v.namespace}/${v.name}" }
}

output "api_role_arn" {
  description = "IRSA role of conduit/conduit-api."
  value       = aws_iam_role.irsa["api"].arn
}

output "external_secrets_role_arn" {
  description = "IRSA role of external-secrets/external-secrets."
  value       = aws_iam_role.irsa["external_secrets"].arn
}

output "github_oidc_provider_arn" {
  description = "GitHub Actions OIDC provider used by the CI roles."
  value       = local.github_oidc_provider_arn
}

output "github_release_role_arn" {
  description = "CI role of release.yml in this environment's GitHub environment: push to this environment's ECR repositories only."
  value       = aws_iam_role.github["release"].arn
}

output "github_plan_role_arn" {
  description = "CI role for terraform plan: reads state, writes only the lock object, reads no secret value; pull requests reach it in staging only."
  value       = aws_iam_role.github["plan"].arn
}

output "github_apply_role_arn" {
  description = "CI role for terraform apply, assumable only from the GitHub environment of this environment."
  value       = aws_iam_role.github["apply"].arn
}

output "permissions_boundary_arn" {
  description = "Permissions boundary every role of the composition must carry (the apply role can create or change no other role)."
  value       = aws_iam_policy.workload_boundary.arn
}

output "github_policy_documents" {
  description = "JSON of the CI roles' trust and inline policies and of the boundary, for review and the policy tests."
  value = {
    release_trust = data.aws_iam_policy_document.github_assume["release"].json
    plan_trust    = data.aws_iam_policy_document.github_assume["plan"].json
    apply_trust   = data.aws_iam_policy_document.github_assume["apply"].json
    release       = data.aws_iam_policy_document.github_release.json
    plan          = data.aws_iam_policy_document.github_plan.json
    apply         = data.aws_iam_policy_document.github_apply.json
    boundary      = data.aws_iam_policy_document.workload_boundary.json
  }
}
