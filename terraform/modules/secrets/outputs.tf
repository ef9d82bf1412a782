output "secret_arns" {
  description = "Secret ARNs by short name (jwt-secret, redis-auth, alertmanager-slack-webhook, grafana-admin, alertmanager-smtp, uptime-kuma-admin, and db-app with var.database)."
  value       = { for k, v in aws_secretsmanager_secret.this : k => v.arn }
}

output "platform_secret_arns" {
  description = "ARNs of the operator-set platform secrets (every secret without a generated value), for the External Secrets role."
  value       = [for k, v in aws_secretsmanager_secret.this : v.arn if local.secrets[k].kind == "operator"]
}

output "secret_names" {
  description = "Secret names by short name (conduit/<env>/<name>), as ExternalSecrets reference them."
  value       = { for k, v in aws_secretsmanager_secret.this : k => v.name }
}

output "jwt_secret_arn" {
  description = "ARN of conduit/<env>/jwt-secret."
  value       = aws_secretsmanager_secret.this["jwt-secret"].arn
}

output "redis_auth_secret_arn" {
  description = "ARN of conduit/<env>/redis-auth."
  value       = aws_secretsmanager_secret.this["redis-auth"].arn
}

output "redis_auth_version_id" {
  description = "Version ID of the generated Redis AUTH value (null when values are not generated)."
  value       = try(aws_secretsmanager_secret_version.this["redis-auth"].version_id, null)
}

output "db_app_secret_arn" {
  description = "ARN of conduit/<env>/db-app, the runtime database login (null without var.database); External Secrets reads it for the API and the migration Job."
  value       = try(aws_secretsmanager_secret.this["db-app"].arn, null)
}

output "db_app_secret_name" {
  description = "Name of the runtime database login secret (conduit/<env>/db-app), as the ExternalSecrets reference it."
  value       = try(aws_secretsmanager_secret.this["db-app"].name, null)
}
