variable "environment" {
  description = "Environment whose account gets the state bucket."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "region" {
  description = "AWS region of the bucket (the environments' backend region)."
  type        = string
  default     = "eu-west-1"
}

variable "aws_account_id" {
  description = "The environment's AWS account; when set, the provider refuses any other account."
  type        = string
  default     = null
}

variable "noncurrent_version_days" {
  description = "Days old state versions are kept (rollback window)."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 30
    error_message = "Keep old state versions for at least 30 days."
  }
}
