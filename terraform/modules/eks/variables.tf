variable "cluster_name" {
  description = "EKS cluster name (conduit-<env>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,50}$", var.cluster_name))
    error_message = "cluster_name must be 3-51 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and nodes."
  type        = string
  default     = "1.35"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.35."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the control plane ENIs and the nodes (one per AZ)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "EKS needs subnets in at least two availability zones."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API endpoint publicly as well (restricted to public_access_cidrs). The private endpoint is always on."
  type        = bool
  default     = false
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint when it is enabled. 0.0.0.0/0 is refused."
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.public_access_cidrs, "0.0.0.0/0") && alltrue([for c in var.public_access_cidrs : can(cidrnetmask(c))])
    error_message = "public_access_cidrs must be valid IPv4 CIDRs and must not contain 0.0.0.0/0."
  }
}

variable "secrets_kms_key_arn" {
  description = "KMS key for envelope encryption of Kubernetes secrets."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key for the control-plane log group."
  type        = string
}

variable "cluster_log_retention_days" {
  description = "Retention of the control-plane log group."
  type        = number
  default     = 365
}

variable "node_instance_types" {
  description = "Instance types of the managed node group."
  type        = list(string)
  default     = ["m6i.large"]
}

variable "node_capacity_type" {
  description = "ON_DEMAND or SPOT."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.node_capacity_type)
    error_message = "node_capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "node_min_size" {
  description = "Minimum nodes."
  type        = number
  default     = 2
}

variable "node_desired_size" {
  description = "Initial desired nodes (later owned by the autoscaler, so changes are ignored)."
  type        = number
  default     = 2
}

variable "node_max_size" {
  description = "Maximum nodes."
  type        = number
  default     = 6

  validation {
    condition     = var.node_max_size >= 1
    error_message = "node_max_size must be at least 1."
  }
}

variable "node_disk_size_gib" {
  description = "Size of the encrypted gp3 root volume of each node."
  type        = number
  default     = 50
}

variable "cluster_admin_arns" {
  description = "IAM principals granted cluster-admin through EKS access entries (no aws-auth ConfigMap)."
  type        = list(string)
  default     = []
}

variable "ebs_csi_role_arn" {
  description = "IRSA role of the EBS CSI controller, given to the aws-ebs-csi-driver add-on."
  type        = string
  default     = null
}

variable "addon_versions" {
  description = "Pinned add-on versions by add-on name; a missing name uses the default version for the cluster version."
  type        = map(string)
  default     = {}
}

variable "create_addons" {
  description = "Manage the vpc-cni, kube-proxy, coredns and aws-ebs-csi-driver add-ons. Off only for emulators without the add-on API."
  type        = bool
  default     = true
}

variable "create_access_entries" {
  description = "Manage EKS access entries for cluster_admin_arns. Off only for emulators without the access-entry API."
  type        = bool
  default     = true
}

variable "set_access_config_and_upgrade_policy" {
  description = "Send access_config (API authentication mode, no creator admin) and upgrade_policy (standard support). Off only for emulators that do not return them."
  type        = bool
  default     = true
}

variable "create_node_group" {
  description = "Manage the node group and its launch template. Off only for emulators that cannot model them."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary set on the cluster and node roles (the apply role may create only roles carrying the workload boundary); null sets none."
  type        = string
  default     = null
}
