output "primary_endpoint" {
  description = "Primary endpoint host (TLS on 6379); empty when the replication group is switched off."
  value       = try(aws_elasticache_replication_group.this[0].primary_endpoint_address, "")
}

output "reader_endpoint" {
  description = "Reader endpoint host; empty when the replication group is switched off."
  value       = try(aws_elasticache_replication_group.this[0].reader_endpoint_address, "")
}

output "port" {
  description = "Redis port."
  value       = 6379
}

output "security_group_id" {
  description = "Security group of the cache."
  value       = aws_security_group.this.id
}

output "replication_group_arn" {
  description = "Replication group ARN; empty when switched off."
  value       = try(aws_elasticache_replication_group.this[0].arn, "")
}

output "log_group_names" {
  description = "Slow-log and engine-log groups."
  value       = [for g in aws_cloudwatch_log_group.this : g.name]
}
