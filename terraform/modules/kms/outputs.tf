output "key_arns" {
  description = "Key ARNs by purpose: eks, rds, elasticache, secrets, logs, ecr."
  value       = { for k, v in aws_kms_key.this : k => v.arn }
}

output "key_ids" {
  description = "Key IDs by purpose."
  value       = { for k, v in aws_kms_key.this : k => v.key_id }
}

output "alias_names" {
  description = "Alias names by purpose."
  value       = { for k, v in aws_kms_alias.this : k => v.name }
}
