variable "name" {
  description = "Name prefix for the key aliases, e.g. conduit-staging (aliases become alias/<name>/<purpose>)."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster name; its cluster role is the only principal allowed to use the EKS key."
  type        = string
}

variable "administrator_arns" {
  description = "IAM principals that administer (not use) the keys. Empty means the account root, which delegates to IAM policies."
  type        = list(string)
  default     = []
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion completes."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "rotation_period_in_days" {
  description = "Automatic key material rotation period (null: the AWS default of 365 days, for emulators that do not model the setting)."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_in_days == null || try(var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560, false)
    error_message = "rotation_period_in_days must be between 90 and 2560."
  }
}

variable "tags" {
  description = "Extra tags for every key."
  type        = map(string)
  default     = {}
}
