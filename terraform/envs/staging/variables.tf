# What an operator sets per apply; everything else is in settings.tf or the platform module.

variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "eu-west-1"
}

variable "aws_account_id" {
  description = "The environment's AWS account; when set, the provider refuses to run against any other account."
  type        = string
  default     = null

  validation {
    condition     = var.aws_account_id == null || can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be a 12-digit account ID."
  }
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
  description = "CIDRs allowed to reach the public Kubernetes API endpoint."
  type        = list(string)
  default     = []
}

variable "alarm_email_addresses" {
  description = "E-mail subscribers of the alarm topic."
  type        = list(string)
  default     = []
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

# Plain variables rather than emulator_gaps entries so static analysis sees the secure defaults.
variable "db_ca_cert_identifier" {
  description = "Certificate authority of the RDS server certificate (null only for emulators)."
  type        = string
  default     = "rds-ca-rsa2048-g1"
}

variable "db_performance_insights" {
  description = "RDS Performance Insights (false only for emulators)."
  type        = bool
  default     = true
}

variable "emulator_gaps" {
  description = "Only for an AWS API emulator (see modules/platform); a real account leaves this unset."
  type        = any
  default     = {}
}

variable "security_slack_team_id" {
  description = "Slack workspace ID authorised in the AWS Chatbot console; null: security findings reach the SNS topic only."
  type        = string
  default     = null
}

variable "security_slack_channel_id" {
  description = "Slack channel ID receiving the HIGH/CRITICAL security findings."
  type        = string
  default     = null
}
