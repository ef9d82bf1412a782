variable "environment" {
  description = "Environment name; resources are named conduit-<environment>."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "settings" {
  description = "What differs between environments (sizes, AZs, retention, protection); set in envs/<env>/settings.tf."
  type = object({
    kubernetes_version       = string
    az_count                 = number
    single_nat_gateway       = bool
    node_instance_types      = list(string)
    node_min_size            = number
    node_max_size            = number
    db_instance_class        = string
    db_max_allocated_storage = number
    db_backup_retention_days = number
    deletion_protection      = bool
    redis_node_type          = string
    redis_num_cache_clusters = number
    log_retention_days       = number
  })
}

variable "region" {
  description = "AWS region of the environment (echoed in the outputs; the provider is configured by the root)."
  type        = string
  default     = "eu-west-1"
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC (exported as the vpc_cidr output, which cluster-vars VPC_CIDR must equal)."
  type        = string
  default     = "10.0.0.0/16"
}

variable "github_repository" {
  description = "GitHub repository (owner/name) trusted by the CI roles."
  type        = string
  default     = "conduit-platform/conduit"
}

variable "state_bucket_name" {
  description = "State bucket (the one given to terraform init); defaults to conduit-<env>-tfstate-<account id>."
  type        = string
  default     = null
}

variable "state_kms_key_arn" {
  description = "KMS key of the state bucket (bootstrap output); the CI plan/apply roles get use of it."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "Public host name served by the ALB; null skips the ACM certificate."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Route 53 zone that validates the certificate; null means validation records are created by hand."
  type        = string
  default     = null
}

variable "cluster_admin_arns" {
  description = "IAM principals with cluster-admin access entries (operators, Flux bootstrap)."
  type        = list(string)
  default     = []
}

variable "cluster_endpoint_public_access" {
  description = "Also expose the Kubernetes API publicly (restricted to cluster_public_access_cidrs)."
  type        = bool
  default     = false
}

variable "cluster_public_access_cidrs" {
  description = "Operator addresses (/32 each) allowed to reach the temporary public Kubernetes API endpoint; required when cluster_endpoint_public_access."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.cluster_public_access_cidrs : can(cidrhost(c, 0)) && endswith(c, "/32")])
    error_message = "cluster_public_access_cidrs takes single IPv4 addresses as /32 CIDRs (the operator's own egress address), never a range."
  }

  validation {
    condition     = !var.cluster_endpoint_public_access || length(var.cluster_public_access_cidrs) > 0
    error_message = "cluster_endpoint_public_access needs cluster_public_access_cidrs: the /32 address(es) of the operator running flux bootstrap."
  }
}

variable "alarm_email_addresses" {
  description = "E-mail subscribers of the alarm topic (each confirms by mail); production requires at least one."
  type        = list(string)
  default     = []

  validation {
    condition     = var.environment != "production" || length(var.alarm_email_addresses) > 0
    error_message = "Production alarms must reach someone: set alarm_email_addresses (the on-call address; it confirms the SNS subscription by mail)."
  }
}

variable "secret_recovery_window_days" {
  description = "Recovery window of deleted secrets (0 deletes immediately; only for throw-away environments)."
  type        = number
  default     = 30
}

variable "generate_secret_values" {
  description = "Generate the JWT key and Redis AUTH token at apply time (write-only, never in state)."
  type        = bool
  default     = true
}

variable "db_ca_cert_identifier" {
  description = "Certificate authority of the RDS server certificate (null: region default, only for emulators that cannot change it)."
  type        = string
  default     = "rds-ca-rsa2048-g1"
}

variable "db_performance_insights" {
  description = "RDS Performance Insights (off only for emulators that do not model it)."
  type        = bool
  default     = true
}

variable "emulator_gaps" {
  description = "Only for an AWS API emulator: each true switches off one thing it cannot model (listed in the module READMEs, covered by the mocked tests). A real account leaves this empty."
  type = object({
    eks_addons                           = optional(bool, false)
    eks_access_entries                   = optional(bool, false)
    eks_access_config_and_upgrade_policy = optional(bool, false)
    eks_node_group                       = optional(bool, false)
    kms_rotation_period                  = optional(bool, false)
    db_parameter_group                   = optional(bool, false)
    redis_replication_group              = optional(bool, false)
    logs_query_definitions               = optional(bool, false)
    security_hub                         = optional(bool, false)
    guardduty_runtime_monitoring         = optional(bool, false)
    config_managed_policy                = optional(bool, false)
  })
  default  = {}
  nullable = false
}

variable "security_slack_team_id" {
  description = "Slack workspace ID authorised in the AWS Chatbot console for the security findings; null: findings reach the SNS topic only."
  type        = string
  default     = null
}

variable "security_slack_channel_id" {
  description = "Slack channel ID receiving the HIGH/CRITICAL security findings (invite AWS Chatbot to it)."
  type        = string
  default     = null
}
