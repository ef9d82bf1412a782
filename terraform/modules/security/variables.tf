variable "name" {
  description = "Name prefix of every resource, e.g. conduit-staging."
  type        = string
}

variable "cis_standard_version" {
  description = "Version of the CIS AWS Foundations Benchmark standard Security Hub subscribes to (1.4.0 and 3.0.0 have regional standards ARNs)."
  type        = string
  default     = "3.0.0"

  validation {
    condition     = contains(["1.4.0", "3.0.0"], var.cis_standard_version)
    error_message = "cis_standard_version is 1.4.0 or 3.0.0."
  }
}

variable "alert_severities" {
  description = "Security Hub severity labels (GuardDuty findings arrive through Security Hub too) that are sent to Slack."
  type        = list(string)
  default     = ["HIGH", "CRITICAL"]

  validation {
    condition     = length(var.alert_severities) > 0 && alltrue([for s in var.alert_severities : contains(["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"], s)])
    error_message = "alert_severities are Security Hub severity labels: INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL."
  }
}

variable "slack_team_id" {
  description = "Slack workspace ID authorised once in the AWS Chatbot console; null creates no Chatbot channel (findings still reach the SNS topic)."
  type        = string
  default     = null
}

variable "slack_channel_id" {
  description = "Slack channel ID that receives the findings (AWS Chatbot must be invited to it)."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the CloudTrail CloudWatch log group, and days before trail and Config objects in S3 expire (a year at least, for incident forensics)."
  type        = number
  default     = 365

  validation {
    condition     = var.log_retention_days >= 365
    error_message = "Keep security logs at least a year."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary set on every IAM role this module creates (the apply role may require one); null sets none."
  type        = string
  default     = null
}

variable "eks_oidc_provider_arn" {
  description = "IRSA OIDC provider of the EKS cluster; with it, the module creates the admission controller's ECR read role. Null creates no role."
  type        = string
  default     = null
}

variable "eks_oidc_issuer" {
  description = "IRSA OIDC issuer host and path (without https://), used in the role's trust conditions."
  type        = string
  default     = null
}

variable "create_admission_role" {
  description = "Create the admission controller's role; null decides by whether eks_oidc_provider_arn and eks_oidc_issuer are given (set it when they come from a cluster created in the same apply)."
  type        = bool
  default     = null

  validation {
    condition     = var.create_admission_role != true || (var.eks_oidc_provider_arn != null && var.eks_oidc_issuer != null)
    error_message = "create_admission_role needs eks_oidc_provider_arn and eks_oidc_issuer (the role trusts the cluster's OIDC provider)."
  }
}

variable "ecr_repository_arns" {
  description = "ECR repositories whose images, signatures and attestations the admission controller reads."
  type        = list(string)
  default     = []
}

variable "admission_service_account" {
  description = "Namespace and name of the admission controller's service account (kustomize/infrastructure/admission)."
  type        = object({ namespace = string, name = string })
  default     = { namespace = "cosign-system", name = "policy-controller-webhook" }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# Switches for what the local AWS emulator (moto 5.2) cannot model; always true in AWS.
variable "enable_security_hub" {
  description = "Enable Security Hub and its standards (moto: UpdateSecurityHubConfiguration answers 500)."
  type        = bool
  default     = true
}

variable "enable_guardduty_runtime_monitoring" {
  description = "Enable GuardDuty Runtime Monitoring (moto: the feature cannot be read back)."
  type        = bool
  default     = true
}

variable "attach_config_managed_policy" {
  description = "Attach the AWS managed policy AWS_ConfigRole to the recorder role (moto does not ship it)."
  type        = bool
  default     = true
}
