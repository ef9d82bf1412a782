output "endpoint" {
  description = "Host name of the instance (port is 5432)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "PostgreSQL port."
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Application database name."
  value       = aws_db_instance.this.db_name
}

output "master_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the master username and password (JSON)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "instance_arn" {
  description = "ARN of the DB instance."
  value       = aws_db_instance.this.arn
}

output "resource_id" {
  description = "Resource ID (for rds-db:connect IAM authentication policies)."
  value       = aws_db_instance.this.resource_id
}

output "security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.this.id
}

output "log_group_names" {
  description = "Exported PostgreSQL log groups."
  value       = [for g in aws_cloudwatch_log_group.this : g.name]
}

output "deletion_protection" {
  description = "Whether the instance refuses deletion (and takes a final snapshot)."
  value       = aws_db_instance.this.deletion_protection
}

output "backup_retention_days" {
  description = "Automated backup retention in days."
  value       = aws_db_instance.this.backup_retention_period
}
