variable "name" {
  description = "Name prefix, e.g. conduit-staging."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the ALB."
  type        = string
}

variable "domain_name" {
  description = "Public host name of the platform (certificate subject), e.g. conduit.example.com. Null skips the certificate."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name without a trailing dot."
  }
}

variable "subject_alternative_names" {
  description = "Extra names on the certificate (e.g. api.conduit.example.com)."
  type        = list(string)
  default     = []
}

variable "route53_zone_id" {
  description = "Public hosted zone that validates the certificate by DNS; null leaves validation to the operator."
  type        = string
  default     = null
}

variable "target_security_group_id" {
  description = "Security group of the pods the ALB forwards to (IP target mode); it gets ingress from the ALB group."
  type        = string
}

variable "target_ports" {
  description = "Container ports the ALB forwards to (api 8080, web 8081)."
  type        = list(number)
  default     = [8080, 8081]
}

variable "ingress_cidrs" {
  description = "Client CIDRs allowed to reach the ALB on 443 (and on 80 for the redirect)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "http_redirect" {
  description = "Admit port 80 for the ALB's HTTP to HTTPS redirect (the Ingresses listen on 80 and 443)."
  type        = bool
  default     = true
}

variable "rate_limit_per_5_minutes" {
  description = "Requests per client IP per five minutes before WAF blocks it."
  type        = number
  default     = 2000

  validation {
    condition     = var.rate_limit_per_5_minutes >= 100
    error_message = "rate_limit_per_5_minutes must be at least 100 (the WAF minimum)."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key for the WAF log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the WAF log group."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
