variable "environment" {
  description = "Environment name; secrets are named conduit/<environment>/<name>."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts every secret."
  type        = string
}

variable "app_reader_arns" {
  description = "IAM roles that may read the application secrets (jwt-secret, redis-auth): the API's IRSA role and External Secrets."
  type        = list(string)
}

variable "platform_reader_arns" {
  description = "IAM roles that may read the operator-set platform secrets (alertmanager-slack-webhook, grafana-admin, alertmanager-smtp, uptime-kuma-admin): External Secrets."
  type        = list(string)
}

variable "terraform_principal_arns" {
  description = "Roles Terraform runs as; the provider reads secret versions while refreshing, so they stay readable to them."
  type        = list(string)
  default     = []
}

variable "redis_auth_plan_principal_arns" {
  description = "Roles that run terraform plan and so read redis-auth only (module.elasticache reads it; the token is in the state anyway, as provider 5.100 has no write-only ElastiCache AUTH argument). No other secret is readable to them."
  type        = list(string)
  default     = []
}

variable "generate_values" {
  description = "Generate the JWT key and Redis AUTH token with Secrets Manager's random generator through write-only arguments (never in code or state)."
  type        = bool
  default     = true
}

variable "value_version" {
  description = "Bump to regenerate the generated values (rotation)."
  type        = number
  default     = 1

  validation {
    condition     = var.value_version >= 1 && floor(var.value_version) == var.value_version
    error_message = "value_version must be a positive integer."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret stays recoverable."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 (force delete) or between 7 and 30."
  }
}

variable "tags" {
  description = "Extra tags for every secret."
  type        = map(string)
  default     = {}
}

variable "database" {
  description = "The runtime database login secret conduit/<env>/db-app: the RDS endpoint, port and database, the RDS-managed master secret (the rotation function logs in with it), the login's name, who may read it (External Secrets and the rotation function's role) and the rotation function (rotates weekly); null = no such secret."
  type = object({
    host                = string
    port                = optional(number, 5432)
    dbname              = optional(string, "conduit")
    master_secret_arn   = string
    username            = optional(string, "conduit_app_login")
    reader_arns         = list(string)
    rotation_lambda_arn = optional(string)
  })
  default = null

  validation {
    # The rotation function appends `_clone` (PostgreSQL names stop at 63 bytes); the API's
    # bootstrap accepts plain lower-case identifiers only.
    condition     = var.database == null || can(regex("^[a-z_][a-z0-9_]{0,56}$", var.database.username))
    error_message = "database.username must be a lower-case identifier of at most 57 characters (room for the rotation's _clone suffix)."
  }

  validation {
    condition     = var.database == null || !contains(["conduit_owner", "conduit_app"], try(var.database.username, ""))
    error_message = "database.username must not be one of the group roles conduit_owner or conduit_app."
  }
}
