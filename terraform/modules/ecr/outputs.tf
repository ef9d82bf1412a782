output "repository_urls" {
  description = "Repository URLs by name."
  value       = { for k, v in aws_ecr_repository.this : k => v.repository_url }
}

output "repository_arns" {
  description = "Repository ARNs by name."
  value       = { for k, v in aws_ecr_repository.this : k => v.arn }
}

output "registry_id" {
  description = "Registry (account) ID."
  value       = one(distinct([for v in aws_ecr_repository.this : v.registry_id]))
}
