variable "name" {
  description = "Role name prefix, e.g. conduit-staging."
  type        = string
}

variable "environment" {
  description = "staging or production; the apply role trusts only the GitHub environment of this name."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "oidc_provider_arn" {
  description = "IAM OIDC provider of the EKS cluster (IRSA)."
  type        = string
}

variable "oidc_issuer" {
  description = "Cluster OIDC issuer without https:// (prefix of the :sub/:aud condition keys)."
  type        = string
}

variable "app_secret_arns" {
  description = "Application secrets External Secrets reads for the API: jwt-secret, redis-auth, the RDS-managed master secret and the database login db-app."
  type        = list(string)
}

variable "plan_readable_secret_arn" {
  description = "The one secret the plan role may read: conduit/<env>/redis-auth, whose token is in the state anyway (provider 5.100 has no write-only ElastiCache AUTH argument); null lets it read none."
  type        = string
  default     = null
}

variable "platform_secret_arns" {
  description = "Operator-set secrets only External Secrets reads (alertmanager-slack-webhook, grafana-admin, alertmanager-smtp, uptime-kuma-admin)."
  type        = list(string)
  default     = []
}

variable "secrets_kms_key_arn" {
  description = "KMS key of the secrets (decrypt through Secrets Manager only)."
  type        = string
}

variable "fluent_bit_log_group_arns" {
  description = "Log groups Fluent Bit may write to (application, host, dataplane)."
  type        = list(string)
}

variable "ecr_repository_arns" {
  description = "ECR repositories CI pushes to and Flux scans."
  type        = list(string)
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may assume the CI roles."
  type        = string
  default     = "conduit-platform/conduit"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name without wildcards."
  }
}

variable "release_refs" {
  description = "Git refs whose release.yml runs may push images; null means refs/heads/main for staging and refs/tags/v* for production."
  type        = list(string)
  default     = null

  validation {
    condition     = var.release_refs == null || try(length(var.release_refs) > 0 && alltrue([for r in var.release_refs : startswith(r, "refs/") && r != "refs/*"]), false)
    error_message = "release_refs must be explicit refs/heads/... or refs/tags/... patterns."
  }
}

variable "passable_role_names" {
  description = "Roles the apply role may pass to AWS services; null means <name>-{cluster,node,ebs-csi,rds-monitoring,vpc-flow-logs,cloudtrail-logs,config-recorder,chatbot}."
  type        = list(string)
  default     = null

  validation {
    condition     = var.passable_role_names == null || try(alltrue([for n in var.passable_role_names : can(regex("^[A-Za-z0-9+=,.@_-]+$", n))]), false)
    error_message = "passable_role_names must be plain role names without wildcards."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's token.actions.githubusercontent.com OIDC provider (one per account)."
  type        = bool
  default     = true
}

variable "github_oidc_provider_arn" {
  description = "Existing GitHub OIDC provider ARN when create_github_oidc_provider is false."
  type        = string
  default     = null
}

variable "state_bucket_name" {
  description = "S3 bucket of the Terraform state (plan and apply roles read it and write the lock file)."
  type        = string
}

variable "state_kms_key_arn" {
  description = "KMS key of the state bucket (bootstrap output); null grants the key behind alias/conduit-<env>/tfstate instead."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every role."
  type        = map(string)
  default     = {}
}
