variable "name" {
  description = "Replication group ID and name prefix, e.g. conduit-staging (at most 40 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.name))
    error_message = "name must be at most 40 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "engine_version" {
  description = "Redis OSS engine version."
  type        = string
  default     = "7.1"
}

variable "parameter_group_family" {
  description = "Parameter group family matching engine_version."
  type        = string
  default     = "redis7"
}

variable "node_type" {
  description = "Cache node type."
  type        = string
  default     = "cache.t4g.small"
}

variable "num_cache_clusters" {
  description = "Primary plus replicas, spread over the AZs of subnet_ids (at least 2 for automatic failover)."
  type        = number
  default     = 2

  validation {
    condition     = var.num_cache_clusters >= 2 && var.num_cache_clusters <= 6
    error_message = "num_cache_clusters must be between 2 and 6: multi-AZ failover needs a replica."
  }
}

variable "vpc_id" {
  description = "VPC of the cache."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the cache nodes."
  type        = list(string)
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to connect on 6379, by a static label (e.g. { eks_nodes = sg-... }): the EKS node/pod group."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "KMS key for at-rest encryption."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key for the slow-log and engine-log groups."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the Redis log groups."
  type        = number
  default     = 365
}

variable "auth_token_secret_arn" {
  description = "Secrets Manager secret whose plain-string value is the Redis AUTH token."
  type        = string
}

variable "auth_token_secret_version_id" {
  description = "Version of that secret to use (null: AWSCURRENT). Passing the managed version orders the read after the write."
  type        = string
  default     = null
}

variable "snapshot_retention_days" {
  description = "Daily snapshots kept."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retention_days >= 1 && var.snapshot_retention_days <= 35
    error_message = "snapshot_retention_days must be between 1 and 35."
  }
}

variable "create_replication_group" {
  description = "Manage the replication group with its subnet and parameter groups. Off only for emulators that cannot model them."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
