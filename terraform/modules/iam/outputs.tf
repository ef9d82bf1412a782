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
  description = "CI role that may push to the platform's ECR repositories only."
  value       = aws_iam_role.github["release"].arn
}

output "github_plan_role_arn" {
  description = "CI role for read-only terraform plan."
  value       = aws_iam_role.github["plan"].arn
}

output "github_apply_role_arn" {
  description = "CI role for terraform apply, assumable only from the GitHub environment of this environment."
  value       = aws_iam_role.github["apply"].arn
}
