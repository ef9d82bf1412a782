variable "name" {
  description = "Name prefix for the topic and alarms, e.g. conduit-staging."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster; log groups are /aws/eks/<cluster>/{application,host,dataplane}."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for the log groups and the SNS topic."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the container log groups (a year by default for incident forensics)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653); never-expire is refused."
  }
}

variable "alarm_email_addresses" {
  description = "E-mail addresses subscribed to the alarm topic (each must confirm); at least one when require_alarm_subscriber."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.alarm_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", a))])
    error_message = "alarm_email_addresses must be e-mail addresses."
  }

  validation {
    condition     = !var.require_alarm_subscriber || length(var.alarm_email_addresses) > 0
    error_message = "An alarm topic without subscribers reaches nobody: give at least one alarm_email_addresses entry (production requires it)."
  }
}

variable "require_alarm_subscriber" {
  description = "Refuse to plan without an alarm subscriber (true in production)."
  type        = bool
  default     = false
}

variable "app_namespace" {
  description = "Kubernetes namespace of the app whose logs the metric filters and queries select."
  type        = string
  default     = "conduit"
}

variable "app_container" {
  description = "Container name of the API in its pods (the metric filters count only its requests)."
  type        = string
  default     = "api"
}

variable "create_query_definitions" {
  description = "Save the Logs Insights queries (switched off only for emulators without the API)."
  type        = bool
  default     = true
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the log-derived metrics."
  type        = string
  default     = "Conduit"
}

variable "error_rate_threshold_percent" {
  description = "Alarm when more than this percentage of requests fail with 5xx over the evaluation window."
  type        = number
  default     = 5

  validation {
    condition     = var.error_rate_threshold_percent > 0 && var.error_rate_threshold_percent <= 100
    error_message = "error_rate_threshold_percent must be in (0, 100]."
  }
}

variable "exception_threshold" {
  description = "Alarm when more than this many panics/exceptions are logged in five minutes."
  type        = number
  default     = 0
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
