variable "repositories" {
  description = "Repository names (the images the platform builds)."
  type        = list(string)
  default     = ["api", "web"]

  validation {
    condition     = alltrue([for r in var.repositories : can(regex("^[a-z0-9][a-z0-9._/-]*$", r))])
    error_message = "Repository names must be lowercase ECR names."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the image layers."
  type        = string
}

variable "keep_main_images" {
  description = "How many main-<timestamp>-<sha> images to keep per repository."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_main_images >= 5
    error_message = "keep_main_images must be at least 5 so rollbacks stay possible."
  }
}

variable "keep_release_images" {
  description = "How many X.Y.Z release images to keep per repository."
  type        = number
  default     = 100

  validation {
    condition     = var.keep_release_images >= 10
    error_message = "keep_release_images must be at least 10."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (superseded manifests) are deleted."
  type        = number
  default     = 7
}

variable "tags" {
  description = "Extra tags for every repository."
  type        = map(string)
  default     = {}
}
