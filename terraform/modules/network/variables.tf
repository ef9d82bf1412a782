variable "name" {
  description = "Name prefix for every resource, e.g. conduit-staging."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC. A /16 leaves room for /20 private subnets per AZ."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && tonumber(split("/", var.cidr_block)[1]) <= 16
    error_message = "cidr_block must be a valid IPv4 CIDR of size /16 or larger."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread subnets over (2 or 3)."
  type        = number
  default     = 3

  validation {
    condition     = contains([2, 3], var.az_count)
    error_message = "az_count must be 2 or 3."
  }
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway (cheaper, one AZ is a single point of failure for egress) instead of one per AZ."
  type        = bool
  default     = false
}

variable "cluster_name" {
  description = "EKS cluster name, used for the Load Balancer Controller subnet discovery tags."
  type        = string
}

variable "flow_log_kms_key_arn" {
  description = "KMS key ARN that encrypts the VPC flow log group."
  type        = string
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group in days."
  type        = number
  default     = 365
}

variable "flow_log_traffic_type" {
  description = "Traffic the flow log captures: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "interface_endpoints" {
  description = "AWS services reached through interface VPC endpoints in the private subnets instead of the NAT gateway."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "sts", "secretsmanager", "logs"]
}

variable "tags" {
  description = "Extra tags for every resource (the provider adds the default tags)."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary set on the flow-logs role (the apply role may create only roles carrying the workload boundary); null sets none."
  type        = string
  default     = null
}
