variable "identifier" {
  description = "DB instance identifier, e.g. conduit-staging."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL version; major version 15 is required by the application."
  type        = string
  default     = "15"

  validation {
    condition     = can(regex("^15(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be PostgreSQL 15 (\"15\" or \"15.x\")."
  }
}

variable "instance_class" {
  description = "DB instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20
}

variable "max_allocated_storage" {
  description = "Upper bound for storage autoscaling in GiB."
  type        = number
  default     = 100
}

variable "multi_az" {
  description = "Synchronous standby in a second AZ."
  type        = bool
  default     = true
}

variable "db_name" {
  description = "Name of the application database."
  type        = string
  default     = "conduit"
}

variable "master_username" {
  description = "Master user name; its password is generated and rotated by RDS in Secrets Manager."
  type        = string
  default     = "conduit_admin"
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "subnet_ids" {
  description = "Isolated database subnets (no internet route)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "RDS needs subnets in at least two availability zones."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect on 5432, by a static label (e.g. { eks_nodes = sg-... }): the EKS node/pod group."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "KMS key for storage, Performance Insights and exported logs."
  type        = string
}

variable "master_secret_kms_key_arn" {
  description = "KMS key for the RDS-managed master user secret."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key for the exported PostgreSQL log groups."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the exported PostgreSQL logs."
  type        = number
  default     = 365
}

variable "backup_retention_days" {
  description = "Automated backup retention (7 in staging, 30 in production)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 7 and 35."
  }
}

variable "deletion_protection" {
  description = "Refuse deletion; also takes a final snapshot on destroy."
  type        = bool
  default     = true
}

variable "monitoring_interval" {
  description = "Enhanced monitoring interval in seconds."
  type        = number
  default     = 60

  validation {
    condition     = contains([1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 1, 5, 10, 15, 30, 60 (enhanced monitoring stays on)."
  }
}

variable "performance_insights_enabled" {
  description = "Performance Insights (encrypted with the RDS key). Off only for emulators that do not model it."
  type        = bool
  default     = true
}

variable "create_parameter_group" {
  description = "Use the TLS-only, logging parameter group. Off only for emulators that do not return parameters."
  type        = bool
  default     = true
}

variable "performance_insights_retention_days" {
  description = "Performance Insights retention (7 is free)."
  type        = number
  default     = 7
}

variable "ca_cert_identifier" {
  description = "Server certificate authority of the instance; null keeps the region default (emulators cannot model the change)."
  type        = string
  default     = "rds-ca-rsa2048-g1"
}

variable "backup_window" {
  description = "Daily backup window (UTC)."
  type        = string
  default     = "02:00-03:00"
}

variable "maintenance_window" {
  description = "Weekly maintenance window (UTC)."
  type        = string
  default     = "sun:03:30-sun:04:30"
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary set on the enhanced-monitoring role (the apply role may create only roles carrying the workload boundary); null sets none."
  type        = string
  default     = null
}
